/// A Python traceback attached to a record, with the facts alerts group and title by.
public struct Traceback: Hashable, Sendable, Codable {
    /// The traceback text, lines joined with `\n`. A very long one keeps its first and last
    /// lines with a marker in between (see `TracebackCollector`).
    public var text: String
    /// Lines in the original traceback, including any that were cut.
    public var lineCount: Int
    /// The final exception's type, e.g. `ZeroDivisionError` or `requests.exceptions.HTTPError`.
    public var exceptionType: String?
    /// The final exception's message (first line).
    public var exceptionMessage: String?
    /// The innermost frame of the final traceback: `tasks.py:5 in add`.
    public var lastFrame: String?

    /// Stored with alerts (`StateSchema`): renaming a property must not change these.
    enum CodingKeys: String, CodingKey { case text, lineCount, exceptionType, exceptionMessage, lastFrame }

    public static let startMarker = "Traceback (most recent call last):"

    public init(text: String, lineCount: Int? = nil) {
        self.text = text
        // Split on bytes: Character-wise splitting costs more than everything else here.
        let lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { Substring($0) }
        self.lineCount = lineCount ?? lines.count
        var exceptionLine: Substring?
        // The exception line is the first one of its shape after the frames: what follows it
        // is its message going on (`DETAIL:  Key (id)=(7) already exists.` from PostgreSQL
        // has the same shape) until the frames of a chained exception start again.
        var seekingException = true
        var frame: Substring?
        var groupFrame: Substring?
        var groupLine: Substring?
        for line in lines {
            let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "|" || $0 == "+" }
            let inGroup = line.prefix { $0 == " " || $0 == "\t" || $0 == "|" || $0 == "+" }.contains("|")
            if trimmed.hasPrefix("File \"") {
                frame = trimmed
                seekingException = true
                if inGroup && groupLine == nil { groupFrame = trimmed }
            } else if !trimmed.isEmpty, trimmed.first != "^", trimmed.first != "~", Traceback.isExceptionLine(trimmed) {
                if line.first != " " && line.first != "\t" {
                    if seekingException || exceptionLine == nil { exceptionLine = line }
                    seekingException = false
                } else if inGroup && groupLine == nil {
                    // An exception group (3.11): its own line is the first one behind `|`, before
                    // the sub-exceptions it lists.
                    groupLine = trimmed
                }
            }
        }
        if exceptionLine == nil, let groupLine {
            exceptionLine = groupLine
            frame = groupFrame ?? frame
        }
        if let exceptionLine {
            let type = exceptionLine.prefix { $0 != ":" }
            exceptionType = String(type)
            if type.endIndex < exceptionLine.endIndex {
                let message = exceptionLine[exceptionLine.index(after: type.endIndex)...].drop { $0 == " " }
                exceptionMessage = message.isEmpty ? nil : String(message)
            }
        }
        if let frame { lastFrame = Traceback.describeFrame(frame) }
    }

    /// `ValueError: bad` or `pkg.mod.Error` alone: a dotted identifier, then `:` or the end.
    static func isExceptionLine(_ line: Substring) -> Bool {
        guard let first = line.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else {
            return false
        }
        if line.hasPrefix("Traceback (") || line.hasPrefix("During handling of the above exception")
            || line.hasPrefix("The above exception was the direct cause") {
            return false
        }
        for scalar in line.unicodeScalars {
            if scalar == ":" { return true }
            if !(scalar == "_" || scalar == "." || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) {
                return false
            }
        }
        return true
    }

    /// `File "/app/tasks.py", line 5, in add` → `tasks.py:5 in add`.
    static func describeFrame(_ frame: Substring) -> String {
        let afterQuote = frame.dropFirst("File \"".count)
        let path = afterQuote.prefix { $0 != "\"" }
        let file = path.split(separator: "/").last.map(String.init) ?? String(path)
        var rest = afterQuote.dropFirst(path.count)
        var lineNumber = ""
        var function = ""
        if let r = rest.firstRange(of: ", line ") {
            rest = rest[r.upperBound...]
            lineNumber = String(rest.prefix { $0.isNumber })
        }
        if let r = rest.firstRange(of: ", in ") {
            function = String(rest[r.upperBound...])
        }
        var out = file
        if !lineNumber.isEmpty { out += ":\(lineNumber)" }
        if !function.isEmpty { out += " in \(function)" }
        return out
    }
}
