/// Keeps a traceback's text bounded: the first and last lines survive, the middle is
/// replaced by a marker line (the frames that matter are the outermost and innermost).
public struct TracebackCollector: Sendable, Codable, Equatable {
    public static let headLines = 30
    public static let tailLines = 30
    /// Longer lines are cut; a traceback line is code, a frame or the exception.
    public static let maxLineBytes = 2_000

    private(set) var head: [String] = []
    private var tail: [String] = []
    private var tailStart = 0
    public private(set) var lineCount = 0

    public init() {}

    public mutating func append(_ line: String) {
        var line = line
        if line.utf8.count > TracebackCollector.maxLineBytes {
            line = String(decoding: line.utf8.prefix(TracebackCollector.maxLineBytes), as: UTF8.self) + "…"
        }
        lineCount += 1
        if head.count < TracebackCollector.headLines {
            head.append(line)
        } else if tail.count < TracebackCollector.tailLines {
            tail.append(line)
        } else {
            tail[tailStart] = line
            tailStart = (tailStart + 1) % TracebackCollector.tailLines
        }
    }

    public var isCut: Bool { lineCount > head.count + tail.count }

    public func build() -> Traceback {
        var lines = head
        let orderedTail = Array(tail[tailStart...] + tail[..<tailStart])
        let omitted = lineCount - head.count - tail.count
        if omitted > 0 { lines.append("  … \(omitted) lines omitted …") }
        lines += orderedTail
        return Traceback(text: lines.joined(separator: "\n"), lineCount: lineCount)
    }
}
