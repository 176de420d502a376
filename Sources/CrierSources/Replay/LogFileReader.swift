#if canImport(Glibc)
import Glibc
#endif
public import CrierCore

/// An input that cannot be read at all: one clear message naming it.
public struct SourceError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What the reader saw, beyond the records themselves.
public struct ReadStats: Sendable {
    public var lines = 0
    public var bytes: UInt64 = 0
    /// Lines cut at `max_line_bytes`.
    public var truncated = 0
    /// Lines of a JSON input that were not a JSON object (processed as text, never dropped).
    public var malformed = 0
    /// The first few malformed lines: line number and why.
    public var malformedSamples: [(line: Int, reason: String)] = []
    /// The format actually used (after `auto` sniffing).
    public var format: InputFormat = .auto

    public static let maxSamples = 5
    public init() {}
}

/// Reading options shared by replay and live file tailing.
public struct ReaderOptions: Sendable {
    public var maxLineBytes = 1 << 20
    /// JSON key holding the message (nil: msg, message, MESSAGE, log).
    public var messageKey: String?
    public var zone: ZonePolicy = .local
    public var years: YearInference
    /// Lines starting with this are counted but not read (`# expect:` annotations in pack
    /// test cases); nil in normal use.
    public var skippedPrefix: [UInt8]?

    public init(years: YearInference) { self.years = years }
}

/// Turns the lines of one input (a file, or stdin as `-`) into records, with the format
/// sniffed or given. Streaming with constant memory: one `LineBuffer`, no per-line String.
public final class LogFileReader {
    public let path: String
    public private(set) var stats = ReadStats()
    private let fd: Int32
    private let ownsFD: Bool
    private let buffer: LineBuffer
    private var format: InputFormat
    private var decoder: LineDecoder
    private let skippedPrefix: [UInt8]?

    public init(path: String, format: InputFormat, options: ReaderOptions) throws(SourceError) {
        self.path = path
        if path == "-" {
            fd = 0
            ownsFD = false
        } else {
            let opened = open(path, O_RDONLY | O_CLOEXEC)
            if opened < 0 {
                throw SourceError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            var st = stat()
            if fstat(opened, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                close(opened)
                throw SourceError("cannot read \(path): it is a directory (only a journal directory can be replayed whole)")
            }
            fd = opened
            ownsFD = true
        }
        self.format = format
        buffer = LineBuffer(maxLineBytes: options.maxLineBytes)
        decoder = LineDecoder(format: format, messageKey: options.messageKey, options: options)
        skippedPrefix = options.skippedPrefix
    }

    deinit { if ownsFD { close(fd) } }

    /// Reads to the end, calling `body` with each record. The view is valid only inside the
    /// call; it is passed inout so that the hot path never copies it.
    public func forEachRecord(_ body: (inout RecordView) throws -> Void) throws {
        if try fill() == 0 && stats.bytes == 0 {
            stats.format = format == .auto ? .text : format
            return
        }
        if format == .auto { format = sniff() }
        if format == .journal {
            // Only reached for stdin or when sniffing a stream: files go to JournalFileReader.
            throw SourceError("\(path) is a binary journal; give it as a file path (not on standard input)")
        }
        stats.format = format
        decoder.format = format
        // Hot loop state lives in locals: class properties would cost a dynamic
        // exclusivity check on every access.
        var decoder = self.decoder
        var lines = stats.lines
        var truncated = stats.truncated
        let skippedPrefix = self.skippedPrefix
        defer {
            self.decoder = decoder
            stats.lines = lines
            stats.truncated = truncated
            stats.malformed = decoder.malformed
            stats.malformedSamples = decoder.malformedSamples
        }
        while true {
            while let line = buffer.nextLine() {
                lines += 1
                if let skip = skippedPrefix, line.bytes.starts(with: skip) { continue }
                if line.truncated { truncated += 1 }
                try decoder.decode(line.bytes, number: lines, truncated: line.truncated, body)
            }
            if buffer.endOfInput { break }
            _ = try fill()
        }
        try decoder.flushPartials(body)
    }

    /// Reads until some bytes arrive or the input ends.
    private func fill() throws(SourceError) -> Int {
        while true {
            switch buffer.read(from: fd) {
            case .bytes(let n):
                stats.bytes += UInt64(n)
                return n
            case .endOfFile:
                return 0
            case .wouldBlock:
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, -1)
            case .failed(let e):
                throw SourceError("cannot read \(path): \(String(cString: strerror(e)))")
            }
        }
    }

    /// Looks at the first lines: binary journal magic, JSON objects (with journal fields or
    /// not), or text.
    private func sniff() -> InputFormat {
        let head = buffer.peek()
        if head.hasPrefix("LPKSHHRH") { return .journal }
        var lines: [UnsafeRawBufferPointer] = []
        var start = 0
        while start < head.count && lines.count < 16 {
            let end = head[start...].firstIndex(of: 0x0A) ?? head.count
            let line = UnsafeRawBufferPointer(rebasing: head[start..<end])
            if skippedPrefix.map({ !line.starts(with: $0) }) ?? true { lines.append(line) }
            start = end + 1
        }
        let format = LineDecoder.sniff(lines)
        return format == .auto ? .text : format
    }
}
