import CrierCore

/// Fits text into a destination's limits, visibly: a cut ends with `…` and a note, and a
/// traceback keeps its first and last lines (where the call started and what failed).
public enum TextLimit {
    public static let cutMarker = "… [truncated]"

    /// Length as destinations count it. Discord and Slack do not document whether they count
    /// code points or UTF-16 units; UTF-16 is never smaller, so it is the safe measure.
    @inline(__always)
    public static func length(_ s: String) -> Int { s.utf16.count }

    /// `s` if it fits in `limit`, else its head cut on a character boundary plus the marker.
    public static func truncate(_ s: String, to limit: Int, marker: String = cutMarker) -> (String, cut: Bool) {
        if length(s) <= limit { return (s, false) }
        let budget = max(0, limit - length(marker))
        var used = 0
        var end = s.startIndex
        for ch in s {
            let n = String(ch).utf16.count
            if used + n > budget { break }
            used += n
            end = s.index(after: end)
        }
        // Do not leave a dangling backslash escape or half a Markdown link behind.
        var head = String(s[..<end])
        while head.hasSuffix("\\") { head.removeLast() }
        if let open = head.lastIndex(of: "["), !head[open...].contains(")") { head = String(head[..<open]) }
        return (head + marker, true)
    }

    /// A traceback cut to `limit`: the first lines and as many of the last as fit, with a
    /// line saying how many were left out. The last lines (the exception) are kept first.
    public static func traceback(_ text: String, to limit: Int) -> (String, cut: Bool) {
        if length(text) <= limit { return (text, false) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.count < 3 { return truncate(text, to: limit) }
        func cost(_ line: String) -> Int { length(line) + 1 }
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
        if head.isEmpty && tail.isEmpty { return truncate(text, to: limit) }
        var out = head
        if omitted > 0 { out.append("  … \(omitted) lines truncated …") }
        out += tail
        return (out.joined(separator: "\n"), omitted > 0)
    }
}

/// Text for places that show one line (titles, field names): line breaks become spaces.
func oneLine(_ s: String) -> String {
    s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
}

/// Collects what had to be cut while a payload is built.
struct Truncations {
    var notes: [String] = []

    /// `text` within `limit`, noting the cut under `what`.
    mutating func fit(_ text: String, _ limit: Int, _ what: String) -> String {
        let (out, cut) = TextLimit.truncate(text, to: limit)
        if cut { notes.append("\(what) cut to \(limit)") }
        return out
    }
}

/// The name/value pairs a chat message shows: the rule's fields, the host, the count; capped
/// at `limit` with a last pair saying how many did not fit.
func displayFields(_ batch: AlertBatch, limit: Int, notes: inout [String], what: String) -> [(String, String)] {
    let lead = batch.lead
    var fields = (lead?.fields ?? []).filter { !$0.value.isEmpty && !$0.name.isEmpty }.map { ($0.name, $0.value) }
    if let host = lead?.host, !host.isEmpty, !fields.contains(where: { $0.0.lowercased() == "host" }) {
        fields.append(("Host", host))
    }
    if batch.count > 1 { fields.append(("Occurrences", HumanFormat.count(batch.count))) }
    guard fields.count > limit else { return fields }
    let dropped = fields.count - limit + 1
    notes.append("\(what): \(dropped) of \(fields.count) dropped")
    return Array(fields.prefix(limit - 1)) + [("…", "\(dropped) more fields not shown")]
}
