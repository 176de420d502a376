import CrierCore

/// Fits text into a destination's limits, visibly: a cut ends with `…` and a note, and a
/// traceback keeps its first and last lines (where the call started and what failed).
///
/// Log text is escaped first and cut second, between whole escaped characters (see
/// `TextEscaper`), and measured the way the destination counts.
public enum TextLimit {
    public static let cutMarker = "… [truncated]"

    /// How a destination counts the length of a string.
    public enum Measure: Sendable {
        /// Unicode code points: Discord ("Our API uses Python 3, so the API calculates length
        /// based on the number of codepoints", discord-api-docs#1315).
        case codePoints
        /// UTF-16 code units, never fewer than code points: for destinations that do not say
        /// (Slack's "characters").
        case utf16

        @inline(__always)
        public func count(_ s: some StringProtocol) -> Int {
            switch self {
            case .codePoints: s.unicodeScalars.count
            case .utf16: s.utf16.count
            }
        }
    }

    /// Length in UTF-16 units: the conservative measure.
    @inline(__always)
    public static func length(_ s: String) -> Int { s.utf16.count }

    /// `text` escaped for its field and cut to `limit`: as many whole characters as fit,
    /// then the marker. Nothing of the text is given up beyond what does not fit.
    public static func fit(_ text: String, to limit: Int, measure: Measure = .utf16, escaper: TextEscaper = .plain,
                           marker: String = cutMarker) -> (text: String, cut: Bool) {
        let units = escaper.units(text)
        let costs = units.map(measure.count)
        if costs.reduce(0, +) <= limit { return (units.joined(), false) }
        let budget = max(0, limit - measure.count(marker))
        var used = 0
        var out = ""
        for (unit, cost) in zip(units, costs) {
            if used + cost > budget { break }
            used += cost
            out += unit
        }
        return (out + marker, true)
    }

    /// `s` if it fits in `limit` (UTF-16 units), else its head cut on a character boundary
    /// plus the marker. For text that needs no escaping; log text goes through `fit`.
    public static func truncate(_ s: String, to limit: Int, marker: String = cutMarker) -> (String, cut: Bool) {
        if length(s) <= limit { return (s, false) }
        let budget = max(0, limit - length(marker))
        var used = 0
        var end = s.startIndex
        for ch in s {
            let n = ch.utf16.count
            if used + n > budget { break }
            used += n
            end = s.index(after: end)
        }
        return (String(s[..<end]) + marker, true)
    }

    /// A traceback escaped for its field and cut to `limit`: the first lines and as many of the
    /// last as fit, with a line saying how many were left out. The last lines (the exception)
    /// are kept first.
    public static func traceback(_ text: String, to limit: Int, measure: Measure = .utf16,
                                 escaper: TextEscaper = .plain) -> (String, cut: Bool) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { escaper.escape(String($0)) }
        let whole = lines.joined(separator: "\n")
        if measure.count(whole) <= limit { return (whole, false) }
        if lines.count < 3 { return fit(text, to: limit, measure: measure, escaper: escaper) }
        func cost(_ line: String) -> Int { measure.count(line) + 1 }
        let markerBudget = 40
        var budget = limit - markerBudget
        var head: [String] = []
        var tail: [String] = []
        var i = 0
        var j = lines.count - 1
        // The exception line and the innermost frame first, then alternate from both ends.
        while j >= i && tail.count < 3 && cost(lines[j]) <= budget {
            tail.insert(lines[j], at: 0)
            budget -= cost(lines[j])
            j -= 1
        }
        var fromHead = true
        while i <= j {
            let candidate = fromHead ? lines[i] : lines[j]
            if cost(candidate) > budget { break }
            budget -= cost(candidate)
            if fromHead {
                head.append(candidate)
                i += 1
            } else {
                tail.insert(candidate, at: 0)
                j -= 1
            }
            fromHead.toggle()
        }
        let omitted = j - i + 1
        if head.isEmpty && tail.isEmpty { return fit(text, to: limit, measure: measure, escaper: escaper) }
        var out = head
        if omitted > 0 { out.append("  … \(omitted) lines truncated …") }
        out += tail
        return (out.joined(separator: "\n"), omitted > 0)
    }
}

/// Text for places that show one line (titles, field names): line breaks become spaces.
func oneLine(_ s: String) -> String {
    s.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" || $0 == "\u{2028}" || $0 == "\u{2029}" })
        .joined(separator: " ")
}

/// Collects what had to be cut while a payload is built.
struct Truncations {
    var notes: [String] = []

    /// Log text escaped with `escaper` within `limit` (as `measure` counts), noting a cut
    /// under `what`.
    mutating func fit(_ text: String, _ limit: Int, _ what: String, measure: TextLimit.Measure = .utf16,
                      escaper: TextEscaper = .plain) -> String {
        let (out, cut) = TextLimit.fit(text, to: limit, measure: measure, escaper: escaper)
        if cut { notes.append("\(what) cut to \(limit)") }
        return out
    }
}

/// The name/value pairs a message shows: the rule's fields, the host, the count; capped at
/// `limit` with a last pair saying how many did not fit. A pair whose name or value is blank
/// once trimmed is left out: there is nothing to show, and Discord refuses the whole embed
/// for one blank field (sshd logs `Invalid user    from …`).
func displayFields(_ batch: AlertBatch, limit: Int, notes: inout [String], what: String) -> [(String, String)] {
    let lead = batch.lead
    var fields = (lead?.fields ?? []).filter { !isBlank($0.value) && !isBlank($0.name) }.map { ($0.name, $0.value) }
    if let host = lead?.host, !isBlank(host), !fields.contains(where: { $0.0.lowercased() == "host" }) {
        fields.append(("Host", host))
    }
    if batch.count > 1 { fields.append(("Occurrences", HumanFormat.count(batch.count))) }
    guard fields.count > limit else { return fields }
    let dropped = fields.count - limit + 1
    notes.append("\(what): \(dropped) of \(fields.count) dropped")
    return Array(fields.prefix(limit - 1)) + [("…", "\(dropped) more fields not shown")]
}

/// Nothing but white space (what Discord trims before it checks that a value is not empty).
func isBlank(_ s: String) -> Bool { s.allSatisfy(\.isWhitespace) }
