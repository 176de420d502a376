/// Numbers and spans of time as a person reads them in a chat message.
public enum HumanFormat {
    /// `2317` → `2,317`.
    public static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// `2026-11-23 10:15 UTC`.
    public static func clockUTC(_ t: Timestamp) -> String {
        let c = t.civil
        return "\(c.year.padded(4))-\(c.month.padded(2))-\(c.day.padded(2)) \(c.hour.padded(2)):\(c.minute.padded(2)) UTC"
    }

    /// `5 min`, `1 h 5 min`, `3 d 2 h`, `12 s`, `under a second`: two units at most.
    public static func duration(_ d: Duration) -> String {
        let seconds = d.wholeSeconds
        if seconds < 1 { return "under a second" }
        let units: [(Int64, String)] = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")]
        var parts: [String] = []
        var rest = seconds
        for (size, name) in units where rest >= size {
            parts.append("\(rest / size) \(name)")
            rest %= size
            if parts.count == 2 { break }
        }
        if parts.count == 2, parts[0].hasSuffix(" d") || parts[0].hasSuffix(" h") {
            // "2 h 0 min" never happens above, but "1 d 3 s" reads oddly: keep the larger unit only.
            if parts[1].hasSuffix(" s") { parts.removeLast() }
        }
        return parts.joined(separator: " ")
    }
}

/// The sentences every notifier uses to describe a batch, so Discord, Slack and the console
/// say the same thing.
public enum BatchSummary {
    /// The message title: the lead alert's title, marked for repeats.
    public static func headline(_ batch: AlertBatch) -> String {
        let title = batch.lead?.title ?? batch.rule
        switch batch.reason {
        case .repeat: return "Still happening: \(title)"
        case .stuck where batch.count > 1:
            // "3 tasks stuck in queued > 30 min, 1 in running > 2 h"
            guard let facets = batch.facets, var first = facets.first?.phrase else { return "\(HumanFormat.count(batch.count)) × \(title)" }
            if let noun = facets[0].count == 1 ? facets[0].noun : facets[0].plural, let r = first.firstRange(of: noun + " ") {
                first.replaceSubrange(r, with: noun + " stuck ")
            } else {
                first += " stuck"
            }
            let rest = facets.dropFirst().map { "\(HumanFormat.count($0.count)) \($0.name)" }
            return ([first] + rest).joined(separator: ", ")
        default: return title
        }
    }

    /// How many occurrences this message stands for, or nil for a single one.
    /// `…and 9,999 more in 1 s` for a first message; `2,317 more in 5 min (10,000 since 10:15 UTC)` later.
    public static func countLine(_ batch: AlertBatch) -> String? {
        // A storm summary lists its groups with their counts in the body.
        if batch.rule == StormControl.summaryRule { return nil }
        switch batch.reason {
        case .first:
            guard batch.count > 1 else { return nil }
            let span = batch.lastSeen - batch.firstSeen
            let within = span < .seconds(1) ? "within a second" : "in \(HumanFormat.duration(span))"
            return "…and \(HumanFormat.count(batch.count - 1)) more \(within)"
        case .burst, .repeat:
            let since = batch.previousMessageAt ?? batch.firstSeen
            let window = max(batch.lastSeen - since, batch.decidedAt - since)
            let more = batch.count == 1 ? "1 more" : "\(HumanFormat.count(batch.count)) more"
            return "\(more) in \(HumanFormat.duration(window)) "
                + "(\(HumanFormat.count(batch.episodeCount)) since \(clock(batch.episodeStart)))"
        case .digest:
            return nil  // the report says its own counts
        case .resolved, .stuck, .absent:
            return batch.count > 1 ? "\(HumanFormat.count(batch.count)) in this message" : nil
        }
    }

    static func clock(_ t: Timestamp) -> String { HumanFormat.clockUTC(t) }

    /// Log text quoted in a summary line (other examples, storm and digest lists) is cut to
    /// this many characters: an error message can be a page long.
    public static let summaryLimit = 200

    /// The first line of `text`, cut to `summaryLimit` with an ellipsis.
    public static func cut(_ text: String) -> String {
        let line = text.firstLine
        return line.count <= summaryLimit ? String(line) : String(line.prefix(summaryLimit - 1)) + "…"
    }

    /// Bodies of the other samples that say something the lead does not, for a short list:
    /// one line each, cut to `summaryLimit`.
    public static func otherExamples(_ batch: AlertBatch, limit: Int = 4) -> [String] {
        guard let lead = batch.lead else { return [] }
        var seen: Set<String> = [lead.body]
        var out: [String] = []
        for alert in batch.alerts.dropFirst() where seen.insert(alert.body).inserted {
            out.append(cut(alert.body))
            if out.count == limit { break }
        }
        return out
    }
}
