/// Decides, line by line, whether a line continues the Python traceback being folded.
/// The shapes are CPython's: frames are indented, the exception line is not, and chained
/// exceptions are joined by a blank line and a fixed sentence.
public struct TracebackLineClassifier: Sendable, Codable, Equatable {
    enum Phase: String, Sendable, Codable { case frames, afterException, afterBlank, chain, quoted }

    public enum Verdict: Equatable, Sendable {
        /// Part of the traceback.
        case absorbed
        /// A blank line that may precede a chained exception: held, not yet part of it.
        case heldBlank
        /// Not part of it: the traceback is over and this line is a record of its own.
        case ended
    }

    var phase = Phase.frames

    public init() {}

    /// Called for every record: the first byte rules out almost every line.
    @inline(__always)
    public static func isStart(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let first = line.first else { return false }
        if first == UInt8(ascii: "T") { return line.hasPrefix("Traceback (most recent call last):") }
        guard first == 0x20 || first == 0x09 || first == UInt8(ascii: "+") else { return false }
        // Python 3.11 exception groups: "  + Exception Group Traceback (most recent call last):"
        var i = 0
        while i < line.count, line[i] == 0x20 || line[i] == 0x09 || line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: "|") {
            i += 1
        }
        return UnsafeRawBufferPointer(rebasing: line[i...]).hasPrefix("Exception Group Traceback (most recent call last):")
    }

    static func isChainMarker(_ line: UnsafeRawBufferPointer) -> Bool {
        line.hasPrefix("During handling of the above exception, another exception occurred:")
            || line.hasPrefix("The above exception was the direct cause of the following exception:")
    }

    public mutating func classify(_ line: UnsafeRawBufferPointer) -> Verdict {
        let indented = line.first == 0x20 || line.first == 0x09
        let blank = line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        switch phase {
        case .frames:
            if blank { phase = .afterBlank; return .heldBlank }
            if indented || TracebackLineClassifier.isStart(line) { return .absorbed }
            phase = .afterException  // the exception line: `ValueError: bad value`
            return .absorbed
        case .afterException:
            if blank { phase = .afterBlank; return .heldBlank }
            if indented { return .absorbed }  // detail under the exception line
            // billiard's ExceptionWithTraceback (Celery) quotes the task's own traceback in
            // its message, between lines of `"""`.
            if TracebackLineClassifier.isQuote(line) { phase = .quoted; return .absorbed }
            if TracebackLineClassifier.isChainMarker(line) { phase = .chain; return .absorbed }
            if TracebackLineClassifier.isMessageContinuation(line) { return .absorbed }
            return .ended
        case .afterBlank:
            if blank { return .heldBlank }
            if TracebackLineClassifier.isChainMarker(line) { phase = .chain; return .absorbed }
            if TracebackLineClassifier.isMessageContinuation(line) { phase = .afterException; return .absorbed }
            return .ended  // including a new "Traceback": without a chain marker it is another exception
        case .chain:
            if blank { return .absorbed }
            if TracebackLineClassifier.isStart(line) { phase = .frames; return .absorbed }
            return .ended
        case .quoted:
            if TracebackLineClassifier.isQuote(line) { phase = .afterException }
            return .absorbed
        }
    }

    /// The lines a database error adds under its exception line, the most common multi-line
    /// exception message in worker logs: PostgreSQL's fields as psycopg and asyncpg print
    /// them, and SQLAlchemy's statement, parameters and link (after a blank line).
    static let continuationPrefixes: [StaticString] = ["DETAIL:  ", "HINT:  ", "CONTEXT:  ", "QUERY:  ", "WHERE:  ", "STATEMENT:  ",
                                       "[SQL: ", "[parameters: ", "(Background on this error at: "]

    static func isMessageContinuation(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let first = line.first, first == UInt8(ascii: "D") || first == UInt8(ascii: "H") || first == UInt8(ascii: "C")
            || first == UInt8(ascii: "Q") || first == UInt8(ascii: "W") || first == UInt8(ascii: "S")
            || first == UInt8(ascii: "[") || first == UInt8(ascii: "(") || first == UInt8(ascii: "L") else { return false }
        if continuationPrefixes.contains(where: { line.hasPrefix($0) }) { return true }
        // PostgreSQL's `LINE 1: SELECT …` above its caret line.
        guard line.hasPrefix("LINE ") else { return false }
        var i = 5
        while i < line.count, (0x30...0x39).contains(line[i]) { i += 1 }
        return i > 5 && i < line.count && line[i] == UInt8(ascii: ":")
    }

    static func isQuote(_ line: UnsafeRawBufferPointer) -> Bool {
        var trimmed = line[...]
        while let last = trimmed.last, last == 0x20 || last == 0x0D { trimmed = trimmed.dropLast() }
        return trimmed.elementsEqual("\"\"\"".utf8)
    }
}

extension RecordView {
    /// A line that opens a traceback written one line per record (syslog, journald stderr).
    /// A message that holds a whole traceback is complete already and is not folded further.
    var isSingleLineTracebackStart: Bool {
        TracebackLineClassifier.isStart(message) && !message.contains(0x0A)
    }
}

extension UnsafeRawBufferPointer {
    /// Offset of "Traceback (most recent call last):" at the start or after a newline.
    func firstTracebackMarker() -> Int? {
        if hasPrefix("Traceback (most recent call last):") { return 0 }
        var i = 0
        while let nl = firstOffset(of: 0x0A, from: i) {
            let rest = UnsafeRawBufferPointer(rebasing: self[(nl + 1)...])
            if rest.hasPrefix("Traceback (most recent call last):") { return nl + 1 }
            i = nl + 1
        }
        return nil
    }
}
