/// One group as a digest remembers it.
public struct DigestGroup: Codable, Sendable, Equatable {
    public var fingerprint: Fingerprint
    public var rule: String
    public var severity: Severity
    public var title: String
    /// The first line of the latest body, cut to `BatchSummary.summaryLimit`.
    public var detail: String
    public var count: Int
    public var lastSeen: Timestamp
}

/// What one digest has counted since it was last sent, and when it is due.
public struct DigestState: Codable, Sendable, Equatable {
    public var windowStart: Timestamp
    public var nextDue: Timestamp
    public var occurrences = 0
    public var messages = 0
    public var bySeverity: [String: Int] = [:]
    public var byRule: [String: Int] = [:]
    /// Messages per reason (stuck, absent, resolved…).
    public var byReason: [String: Int] = [:]
    /// The largest groups, at most `DigestBook.maxGroups`.
    public var groups: [DigestGroup] = []

    public init(windowStart: Timestamp, nextDue: Timestamp) {
        self.windowStart = windowStart
        self.nextDue = nextDue
    }
}

/// The digests of a configuration (`digests:`): counts every batch the pipeline decides and
/// sends each digest when it is due, on the same clock as everything else (record time in
/// replay). Pure: times are passed in, the state is plain data saved with each checkpoint.
public struct DigestBook {
    /// Groups remembered per digest; the smallest are dropped beyond.
    public static let maxGroups = 200

    public let configs: [DigestConfig]
    private let zoneOffset: CalendarSchedule.ZoneOffset
    private var states: [String: DigestState] = [:]
    private var changed: Set<String> = []

    public init(configs: [DigestConfig], zoneOffset: @escaping CalendarSchedule.ZoneOffset = CalendarSchedule.utc) {
        self.configs = configs
        self.zoneOffset = zoneOffset
    }

    public var isEmpty: Bool { configs.isEmpty }

    public func state(_ name: String) -> DigestState? { states[name] }

    public var nextDeadline: Timestamp? { configs.compactMap { states[$0.name]?.nextDue }.min() }

    /// Starts counting at `now` for digests without a saved state.
    public mutating func watch(from now: Timestamp) {
        for c in configs where states[c.name] == nil {
            states[c.name] = DigestState(windowStart: now, nextDue: due(c, after: now))
            changed.insert(c.name)
        }
    }

    private func due(_ c: DigestConfig, after t: Timestamp) -> Timestamp {
        if let every = c.every { return t + every }
        return c.schedule?.next(after: t, offset: zoneOffset) ?? t + .seconds(86_400)
    }

    /// Counts a batch the pipeline decided (not digests themselves).
    public mutating func note(_ batch: AlertBatch) {
        guard batch.reason != .digest else { return }
        for c in configs {
            guard var s = states[c.name] else { continue }
            if c.kind == .failures && (batch.severity < c.minSeverity || batch.reason == .resolved) { continue }
            s.messages += 1
            s.byReason[batch.reason.rawValue, default: 0] += 1
            if batch.reason != .resolved {
                s.occurrences += batch.count
                s.bySeverity[batch.severity.rawValue, default: 0] += batch.count
                s.byRule[batch.rule, default: 0] += batch.count
                let title = batch.lead?.title ?? batch.rule
                let detail = BatchSummary.cut(String((batch.lead?.body ?? "").firstLine))
                if let i = s.groups.firstIndex(where: { $0.fingerprint == batch.fingerprint }) {
                    s.groups[i].count += batch.count
                    s.groups[i].lastSeen = max(s.groups[i].lastSeen, batch.lastSeen)
                    s.groups[i].detail = detail
                } else {
                    if s.groups.count >= DigestBook.maxGroups, let smallest = s.groups.indices.min(by: { s.groups[$0].count < s.groups[$1].count }) {
                        s.groups.remove(at: smallest)
                    }
                    s.groups.append(DigestGroup(fingerprint: batch.fingerprint, rule: batch.rule, severity: batch.severity,
                                                title: BatchSummary.cut(title), detail: detail, count: batch.count,
                                                lastSeen: batch.lastSeen))
                }
            }
            states[c.name] = s
            changed.insert(c.name)
        }
    }

    /// Sends every digest due at or before `now` (in order), then starts its next window.
    /// `health` gives delivery lines for a window (nil: not measured, as in replay).
    public mutating func advance(to now: Timestamp, health: (Timestamp) -> [String]?,
                                 emit: (DigestConfig, AlertBatch) -> Void) {
        while let (c, s) = configs.compactMap({ c in states[c.name].map { (c, $0) } }).filter({ $0.1.nextDue <= now })
            .min(by: { $0.1.nextDue < $1.1.nextDue }) {
            let at = s.nextDue
            if s.occurrences > 0 || s.messages > 0 || c.sendsWhenEmpty {
                emit(c, DigestBook.batch(c, s, at: at, health: health(s.windowStart)))
            }
            states[c.name] = DigestState(windowStart: at, nextDue: due(c, after: at))
            changed.insert(c.name)
        }
    }

    public mutating func takeChanges() -> [String: DigestState] {
        var out: [String: DigestState] = [:]
        for name in changed { out[name] = states[name] }
        changed.removeAll()
        return out
    }

    /// States of an earlier run; those of digests no longer configured are dropped.
    public mutating func restore(_ saved: [String: DigestState]) {
        for c in configs { if let s = saved[c.name] { states[c.name] = s } }
    }

    /// The message of a digest: one alert whose body is the report.
    public static func batch(_ c: DigestConfig, _ s: DigestState, at: Timestamp, health: [String]?) -> AlertBatch {
        let span = HumanFormat.duration(at - s.windowStart)
        let n = HumanFormat.count
        var lines: [String] = []
        let title: String
        switch c.kind {
        case .summary:
            title = s.occurrences == 0 && s.messages == 0
                ? "Digest \(c.name): quiet, nothing matched in \(span)"
                : "Digest \(c.name): \(n(s.occurrences)) occurrence\(s.occurrences == 1 ? "" : "s") in \(span)"
            lines.append("Since \(HumanFormat.clockUTC(s.windowStart)): \(n(s.occurrences)) occurrences in \(n(s.messages)) messages")
        case .failures:
            let groups = s.groups.count
            title = "Failures in the last \(span): \(n(groups)) group\(groups == 1 ? "" : "s"), "
                + "\(n(s.occurrences)) occurrence\(s.occurrences == 1 ? "" : "s")"
            lines.append("Since \(HumanFormat.clockUTC(s.windowStart)), \(c.minSeverity.rawValue) and above")
        }
        let severities = Severity.allCases.reversed().compactMap { sev in s.bySeverity[sev.rawValue].map { "\(sev.rawValue) \(n($0))" } }
        if !severities.isEmpty { lines.append("Severity: " + severities.joined(separator: " · ")) }
        let reasons = ["stuck", "absent", "resolved"].compactMap { r in s.byReason[r].map { "\(r) \(n($0))" } }
        if !reasons.isEmpty { lines.append("Messages: " + reasons.joined(separator: " · ")) }
        let top = s.groups.sorted { ($0.count, $0.lastSeen) > ($1.count, $1.lastSeen) }.prefix(c.top)
        if !top.isEmpty {
            lines.append(c.kind == .failures ? "Groups:" : "Top groups:")
            for g in top {
                var line = "• \(n(g.count)) × \(g.title) (\(g.rule))"
                if c.kind == .failures {
                    line += ", last \(HumanFormat.clockUTC(g.lastSeen))"
                    if !g.detail.isEmpty && g.detail != g.title { line += ": \(g.detail)" }
                }
                lines.append(line)
            }
            if s.groups.count > top.count { lines.append("…and \(n(s.groups.count - top.count)) more groups") }
        }
        if c.kind == .summary && !s.byRule.isEmpty {
            let rules = s.byRule.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(8).map { "\($0.key) \(n($0.value))" }
            lines.append("Rules: " + rules.joined(separator: " · ") + (s.byRule.count > 8 ? " · …" : ""))
        }
        if c.kind == .summary { lines += health ?? ["Delivery: not measured (replay)"] }
        var fp = Fingerprint()
        fp.combine("crier.digest.\(c.name)")
        let rule = "crier.digest.\(c.name)"
        let alert = Alert(rule: rule, severity: .info, title: title, body: lines.joined(separator: "\n"), fingerprint: fp,
                          timestamp: at, source: "crier")
        return AlertBatch(fingerprint: fp, rule: rule, severity: .info, labels: [Label("digest", c.name)], reason: .digest,
                          alerts: [alert], count: max(1, s.occurrences), firstSeen: s.windowStart, lastSeen: at, decidedAt: at,
                          episodeCount: max(1, s.occurrences), episodeStart: s.windowStart)
    }
}
