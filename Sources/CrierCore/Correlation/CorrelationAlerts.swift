/// An alert made from a correlation event, with where it folds and why it is sent.
public struct CorrelationAlert {
    public var rule: CompiledRule
    public var alert: Alert
    public var labels: [Label]
    public var fingerprint: Fingerprint
    public var reason: BatchReason
    /// "in queued > 30 min": what a batch counts its occurrences by.
    public var facet: Facet?
    /// When it happened (the deadline, or the record that ended it).
    public var time: Timestamp

    /// Builds the alert of `event`. A rule's own `title`/`body`/`fields` templates are
    /// rendered with the start record and its captures in scope, plus `key`, `state`,
    /// `timeout`, `started_at`, `waited` (stuck, resolved) or `last_seen`, `expected`
    /// (absent, back); without templates the sentences below are used.
    public static func make(_ event: CorrelationEvent, redactor: LogTextRedactor) -> CorrelationAlert {
        switch event {
        case .stuck(let rule, let raw, let at):
            let entry = redactor.redact(raw)
            let d = rule.definition
            let extras = keyExtras(rule, entry, now: at)
            let scope = TemplateScope(captures: entry.captures, record: entry.record, extras: extras)
            let title = d.title != nil ? rule.title.render(scope).firstNonEmptyLine
                : "\(noun(d.key)) \(entry.key) stuck in \(extras["state"]!) for over \(extras["timeout"]!)"
            let body = d.body != nil ? rule.body.render(scope)
                : "\(entry.key): started \(extras["started_at"]!), no end since\n\(entry.record.message.firstLine)"
            let singular = noun(d.key).lowercased()
            return keyed(rule, entry, title: title, body: body, scope: scope, suffix: "stuck", reason: .stuck,
                         facet: Facet("in \(extras["state"]!) > \(extras["timeout"]!)", noun: singular, plural: singular + "s"),
                         time: at)
        case .resolved(let rule, let raw, let endedAt, _):
            let entry = redactor.redact(raw)
            let d = rule.definition
            let extras = keyExtras(rule, entry, now: endedAt)
            let scope = TemplateScope(captures: entry.captures, record: entry.record, extras: extras)
            let title = d.title != nil ? "Resolved: " + rule.title.render(scope).firstNonEmptyLine
                : "\(noun(d.key)) \(entry.key) finished after \(extras["waited"]!) (was stuck in \(extras["state"]!))"
            let body = "\(entry.key): finished \(HumanFormat.clockUTC(endedAt)) after \(extras["waited"]!) "
                + "(started \(extras["started_at"]!))"
            return keyed(rule, entry, title: title, body: body, scope: scope, suffix: "resolved",
                         reason: .resolved, facet: nil, time: endedAt)
        case .absent(let rule, let state, let due):
            let (title, body) = absenceText(rule, state, at: due)
            return unkeyed(rule, title: title, body: body, suffix: "absent", reason: .absent, time: due)
        case .back(let rule, let missingSince, let lastSeen, let record, let at):
            var state = AbsenceState(watchingSince: at, lastSeen: lastSeen, nextCheck: at, missingSince: missingSince)
            state.lastSeen = lastSeen
            let (title, _) = absenceText(rule, state, at: at)
            let what = rule.definition.description ?? rule.definition.id.replacingUnderscores
            let body = "seen again \(HumanFormat.clockUTC(at)) (missing since \(HumanFormat.clockUTC(missingSince)))\n"
                + redactor.redact(String(record.message.firstLine))
            return unkeyed(rule, title: rule.definition.title != nil ? "Resolved: \(title)" : "Seen again: \(what)", body: body,
                           suffix: "absent-resolved", reason: .resolved, time: at)
        case .overflow(let rule, let key, let record, let at, let total):
            let limit = rule.definition.maxOpen ?? Correlator.defaultMaxOpen
            var c = unkeyed(rule, title: "\(rule.id): more than \(HumanFormat.count(limit)) open keys; new starts are not tracked",
                            body: "\(HumanFormat.count(total)) starts not tracked so far (latest: \(key)). Raise `max_open` or "
                                + "make `start` narrower.", suffix: "overflow", reason: .stuck, time: at)
            c.alert.host = record.host
            c.alert.severity = .warning
            return c
        }
    }

    static func keyExtras(_ rule: CompiledRule, _ entry: OpenKey, now: Timestamp) -> [String: String] {
        let d = rule.definition
        return [
            "key": entry.key,
            "state": d.state ?? d.id,
            "timeout": HumanFormat.duration(d.timeout ?? .zero),
            "started_at": HumanFormat.clockUTC(entry.startedAt),
            "waited": HumanFormat.duration(now - entry.startedAt),
            "rule": rule.id, "pack": rule.pack, "severity": rule.severity.rawValue,
        ]
    }

    static func keyed(_ rule: CompiledRule, _ entry: OpenKey, title: String, body: String, scope: TemplateScope,
                      suffix: String, reason: BatchReason, facet: Facet?, time: Timestamp) -> CorrelationAlert {
        let labels = rule.labels(captures: entry.captures, record: entry.record)
        var fp = rule.fingerprint(labels: labels)
        fp.separator()
        fp.combine(suffix)
        let alert = Alert(
            rule: rule.id, severity: rule.severity, title: title.isEmpty ? rule.id : title, body: body,
            fields: rule.fields.map { AlertField($0.name, $0.template.render(scope)) }, labels: labels,
            fingerprint: fp, timestamp: time, link: rule.link.map { $0.render(scope) }.flatMap { $0.isEmpty ? nil : $0 },
            host: entry.record.host, excerpt: String(entry.record.message.firstLine.prefix(500)), source: entry.record.source,
            position: entry.record.position)
        return CorrelationAlert(rule: rule, alert: alert, labels: labels, fingerprint: fp, reason: reason, facet: facet, time: time)
    }

    static func unkeyed(_ rule: CompiledRule, title: String, body: String, suffix: String, reason: BatchReason,
                        time: Timestamp) -> CorrelationAlert {
        let labels = rule.definition.labels.map { Label($0.name, $0.value) }
        var fp = rule.fingerprint(labels: labels)
        fp.separator()
        fp.combine(suffix)
        let alert = Alert(rule: rule.id, severity: rule.severity, title: title, body: body, labels: labels,
                          fingerprint: fp, timestamp: time, source: "crier")
        return CorrelationAlert(rule: rule, alert: alert, labels: labels, fingerprint: fp, reason: reason, facet: nil, time: time)
    }

    static func absenceText(_ rule: CompiledRule, _ state: AbsenceState, at: Timestamp) -> (String, String) {
        let d = rule.definition
        let expected = d.every.map { "every \(HumanFormat.duration($0))" } ?? "by \(d.by ?? "")"
        let last = state.lastSeen.map { "last seen \(HumanFormat.clockUTC($0)), \(HumanFormat.duration(at - $0)) ago" }
            ?? "not seen since crier started watching \(HumanFormat.clockUTC(state.watchingSince))"
        var extras = ["expected": expected, "last_seen": state.lastSeen.map(HumanFormat.clockUTC) ?? "never",
                      "rule": rule.id, "pack": rule.pack, "severity": rule.severity.rawValue]
        extras["watching_since"] = HumanFormat.clockUTC(state.watchingSince)
        let record = LogRecord(source: "crier", position: .replay(line: 0), timestamp: at, format: .text, message: "")
        let scope = TemplateScope(captures: [], record: record, extras: extras)
        let what = d.description ?? d.id.replacingUnderscores
        let title = d.title != nil ? rule.title.render(scope).firstNonEmptyLine : "Missing: \(what) (expected \(expected))"
        let body = d.body != nil ? rule.body.render(scope) : last
        return (title, body)
    }

    /// `task_id` → `Task`, `job` → `Job`: what a key names, for default sentences.
    static func noun(_ key: String?) -> String {
        guard var k = key, !k.isEmpty else { return "Key" }
        for suffix in ["_id", "-id", "id"] where k.count > suffix.count && k.hasSuffix(suffix) { k.removeLast(suffix.count) }
        return k.prefix(1).uppercased() + k.dropFirst().replacingUnderscores
    }
}

extension StringProtocol {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
