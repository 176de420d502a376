public import CrierCore
import CrierNotifiers
import CrierSources

/// The two faces of a replay: the stable JSON events and the human report.
public enum ReplayReport {
    // MARK: jsonl (CONTRACT "replay --output jsonl"; extra keys come after the stated ones)

    public static func matchJSON(_ record: LogRecord, hit: RuleHit) -> JSONValue {
        var o = JSONObject()
        o["type"] = "match"
        o["line"] = .int(Int64(record.line ?? 0))
        o["rule"] = .string(hit.rule.id)
        o["severity"] = .string(hit.rule.severity.rawValue)
        o["fields"] = .object(JSONObject(hit.captures.map { ($0.name, JSONValue.string($0.value)) }))
        o["source"] = .string(record.source)
        if let t = record.timestamp { o["timestamp"] = .string(t.iso8601) }
        if let tb = record.traceback {
            var t = JSONObject()
            if let type = tb.exceptionType { t["exception_type"] = .string(type) }
            if let frame = tb.lastFrame { t["last_frame"] = .string(frame) }
            t["lines"] = .int(Int64(tb.lineCount))
            o["traceback"] = .object(t)
        }
        if !record.flags.isEmpty { o["flags"] = .array(flagNames(record.flags).map { .string($0) }) }
        return .object(o)
    }

    public static func notificationJSON(_ m: OutgoingMessage) -> JSONValue {
        let b = m.batch
        var o = JSONObject()
        o["type"] = "notification"
        o["notifier"] = .string(m.notifier)
        o["rule"] = .string(b.rule)
        o["severity"] = .string(b.severity.rawValue)
        o["fingerprint"] = .string(b.fingerprint.description)
        o["reason"] = .string(b.reason.rawValue)
        o["count"] = .int(Int64(b.count))
        o["suppressed"] = .int(Int64(b.suppressed))
        o["first_seen"] = .string(b.firstSeen.iso8601)
        o["last_seen"] = .string(b.lastSeen.iso8601)
        o["title"] = .string(BatchSummary.headline(b))
        o["payload"] = m.payload.body
        o["decided_at"] = .string(b.decidedAt.iso8601)
        o["labels"] = .object(JSONObject(b.labels.map { ($0.name, JSONValue.string($0.value)) }))
        if !m.payload.truncations.isEmpty { o["truncations"] = .array(m.payload.truncations.map { .string($0) }) }
        return .object(o)
    }

    public static func summaryJSON(_ s: ReplaySummary, deterministic: Bool) -> JSONValue {
        var o = JSONObject()
        o["type"] = "summary"
        o["lines"] = .int(Int64(s.read.lines))
        o["records"] = .int(Int64(s.match.records))
        o["matched"] = .int(Int64(s.match.matched))
        o["missed"] = .int(Int64(s.match.missed))
        o["rules"] = .object(JSONObject(ruleCounts(s).map { ($0.0, JSONValue.int(Int64($0.1))) }))
        o["notifications"] = .int(Int64(s.pipeline.messages))
        if !deterministic { o["elapsed_seconds"] = .double((s.elapsed * 1000).rounded() / 1000) }
        o["malformed"] = .int(Int64(s.read.malformed))
        if !s.read.malformedSamples.isEmpty {
            o["malformed_lines"] = .array(s.read.malformedSamples.map { ["line": .int(Int64($0.line)), "reason": .string($0.reason)] })
        }
        o["truncated"] = .int(Int64(s.read.truncated))
        o["invalid_utf8"] = .int(Int64(s.match.invalidUTF8))
        o["tracebacks"] = .int(Int64(s.match.tracebacks))
        o["reasons"] = .object(JSONObject(BatchReason.allCases.compactMap { reason in
            s.pipeline.messagesByReason[reason].map { (reason.rawValue, JSONValue.int(Int64($0))) }
        }))
        if s.pipeline.unroutedBatches > 0 { o["unrouted"] = .int(Int64(s.pipeline.unroutedBatches)) }
        let limits = s.rules.rules.filter { s.match.regexLimitHits[$0.index] > 0 }
        if !limits.isEmpty {
            o["regex_limit_hits"] = .object(JSONObject(limits.map { ($0.id, JSONValue.int(Int64(s.match.regexLimitHits[$0.index]))) }))
        }
        if !s.inputErrors.isEmpty { o["errors"] = .array(s.inputErrors.map { .string($0) }) }
        return .object(o)
    }

    /// Rules with at least one hit, in rule order.
    static func ruleCounts(_ s: ReplaySummary) -> [(String, Int)] {
        s.rules.rules.compactMap { rule in
            let n = s.match.ruleHits[rule.index]
            return n > 0 ? (rule.id, n) : nil
        }
    }

    static func flagNames(_ flags: RecordFlags) -> [String] {
        var names: [String] = []
        if flags.contains(.invalidUTF8) { names.append("invalid_utf8") }
        if flags.contains(.truncated) { names.append("truncated") }
        if flags.contains(.malformedJSON) { names.append("malformed_json") }
        if flags.contains(.tracebackCut) { names.append("traceback_cut") }
        return names
    }

    // MARK: text

    static func writeText(_ s: ReplaySummary, options: ReplayOptions, loaded: LoadedConfig, messages: [String],
                          missed: [(String, Int, String)], to out: OutputWriter) {
        let n = HumanFormat.count
        out.line("crier replay: \(options.inputs.joined(separator: ", ")) (format \(s.read.format.rawValue), config \(loaded.origin))")
        for error in s.inputErrors { out.line("  error: \(VisibleControls.escape(error))") }
        out.line("  lines \(n(s.read.lines)) · records \(n(s.match.records)) · matched \(n(s.match.matched)) · missed \(n(s.match.missed))"
                 + " · malformed \(n(s.read.malformed)) · truncated \(n(s.read.truncated))"
                 + (s.match.invalidUTF8 > 0 ? " · invalid UTF-8 \(n(s.match.invalidUTF8))" : "")
                 + (s.match.tracebacks > 0 ? " · tracebacks \(n(s.match.tracebacks))" : ""))
        for sample in s.read.malformedSamples {
            out.line("  malformed line \(sample.line): \(VisibleControls.escape(sample.reason))")
        }
        if s.read.malformed > s.read.malformedSamples.count {
            out.line("  … and \(n(s.read.malformed - s.read.malformedSamples.count)) more malformed lines (processed as text)")
        }

        // Per-rule hits: every rule of a pack that had any hit, so silent rules show as 0.
        let hits = s.match.ruleHits
        let activePacks = Set(s.rules.rules.filter { hits[$0.index] > 0 }.map(\.pack))
        // Correlation rules count their alerts (stuck keys, absences), not the lines they read.
        let shown = s.rules.rules.filter { activePacks.contains($0.pack) }
        let width = shown.map(\.id.count).max() ?? 0
        out.line("  rules:")
        if shown.isEmpty { out.line("    (no rule matched; \(s.rules.rules.count) rules in \(loaded.packs.count) packs were tried)") }
        for rule in shown {
            let limit = s.match.regexLimitHits[rule.index]
            let kind = rule.kind == .correlation ? "  stuck" : rule.kind == .absence ? "  absent" : ""
            out.line("    \(rule.id.padding(width))  \(n(hits[rule.index]).leftPadding(9))\(kind)"
                     + (limit > 0 ? "  (\(n(limit)) lines hit the regex backtracking limit)" : ""))
        }
        let silent = s.rules.rules.count - shown.count
        if silent > 0 && !shown.isEmpty { out.line("    (\(silent) rules of other packs matched nothing)") }

        let reasons = BatchReason.allCases.compactMap { r in s.pipeline.messagesByReason[r].map { "\(r.rawValue) \(n($0))" } }
        let notifiers = s.pipeline.messagesByNotifier.keys.sorted().joined(separator: ", ")
        out.line("  notifications \(n(s.pipeline.messages))" + (reasons.isEmpty ? "" : " (\(reasons.joined(separator: ", ")))")
                 + (notifiers.isEmpty ? "" : " → \(notifiers)"))
        if s.pipeline.unroutedBatches > 0 {
            out.line("  \(n(s.pipeline.unroutedBatches)) batches matched no route and went nowhere")
        }
        if !options.deterministic {
            let rate = s.elapsed > 0 ? Int(Double(s.read.lines) / s.elapsed) : 0
            out.line("  elapsed \(formatSeconds(s.elapsed)) · \(n(rate)) lines/s · peak RSS \(s.peakRSSBytes / (1 << 20)) MiB")
        }

        if !messages.isEmpty {
            out.line()
            out.line("notifications:")
        }
        for m in messages {
            out.line()
            out.line(m)
        }
        if !missed.isEmpty {
            out.line()
            out.line("missed records (\(n(s.match.missed))\(s.match.missed > missed.count ? ", first \(n(missed.count)) shown" : "")):")
            let multi = options.inputs.count > 1
            for (source, line, text) in missed {
                let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                out.line(VisibleControls.escape("  \(multi ? "\(source):" : "")\(line): \(first)"))
            }
        }
    }

    /// One notification in the text report: when, where to, why, and the console rendering.
    static func messageText(_ m: OutgoingMessage) -> String {
        var text = "── \(m.batch.decidedAt.shortUTC) UTC → \(m.notifier) (\(m.kind.rawValue)) · \(m.batch.reason.rawValue) ──\n"
        // The console notifier's payload already is this text; do not render it twice.
        text += m.kind == .console ? (m.payload.body["text"]?.stringValue ?? ConsoleRenderer.text(m.batch))
            : ConsoleRenderer.text(m.batch)
        for note in m.payload.truncations { text += "\n  (truncated: \(note))" }
        // A console payload stored before its text was made visible is shown safely too.
        return VisibleControls.escape(text)
    }

    static func formatSeconds(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        return ms < 1000 ? "\(ms) ms" : "\(ms / 1000).\(String(ms % 1000 / 10).leftPadding(2, "0")) s"
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int, _ pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
