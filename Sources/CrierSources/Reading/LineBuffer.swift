#if canImport(Glibc)
import Glibc
#endif

/// Splits bytes read with `read(2)` into lines without copying them: a large buffer,
/// `memchr` for newlines, lines handed out as borrowed byte ranges (DESIGN §3, "reading").
///
/// Lines longer than `maxLineBytes` are cut to that length (and flagged); the rest of such
/// a line is skipped, so one runaway line costs a bounded amount of memory. `\r\n` endings
/// lose their `\r`. The allocation carries `padding` spare bytes after its end so that a
/// line can go straight to simdjson, which reads up to 64 bytes past its input.
public final class LineBuffer {
    public let maxLineBytes: Int
    public let capacity: Int
    public static let padding = 64

    private let storage: UnsafeMutableRawPointer
    /// Valid bytes are storage[start..<end].
    private var start = 0
    private var end = 0
    /// Scan position for the next newline, within start..<end.
    private var scanned = 0
    /// Skipping the tail of a line already emitted truncated.
    private var discarding = false
    public private(set) var endOfInput = false
    /// A tailed file's EOF only means "nothing more yet": its last line is held for its
    /// newline instead of being handed out (`takePartialLine` flushes it after a timeout).
    public var endOfFileEndsInput = true

    /// Bytes consumed by complete lines so far (the offset a checkpoint would store).
    public private(set) var consumedOffset: UInt64 = 0

    public init(maxLineBytes: Int = 1 << 20, minimumCapacity: Int = 1 << 20) {
        self.maxLineBytes = max(1, maxLineBytes)
        capacity = max(minimumCapacity, self.maxLineBytes + 64 * 1024)
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity + LineBuffer.padding, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: capacity + LineBuffer.padding)
    }

    deinit { storage.deallocate() }

    public struct Line {
        public var bytes: UnsafeRawBufferPointer
        /// The line was longer than `maxLineBytes` and was cut.
        public var truncated: Bool
        /// Offset of the byte after this line's newline.
        public var endOffset: UInt64
    }

    public enum ReadResult: Equatable {
        case bytes(Int)
        case endOfFile
        case wouldBlock
        case failed(errno: Int32)
    }

    /// Reads what is available from `fd` into free space (compacting first when needed).
    public func read(from fd: Int32) -> ReadResult {
        makeRoom()
        let free = capacity - end
        if free == 0 { return .bytes(0) }  // a full buffer is drained by nextLine's truncation
        while true {
            let n = Glibc.read(fd, storage + end, free)
            if n > 0 {
                end += n
                return .bytes(n)
            }
            if n == 0 {
                if endOfFileEndsInput { endOfInput = true }
                return .endOfFile
            }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(errno: e)
        }
    }

    /// Appends bytes that came from elsewhere (tests, a decompressor).
    public func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        makeRoom()
        let n = min(bytes.count, capacity - end)
        if n > 0, let base = bytes.baseAddress { (storage + end).copyMemory(from: base, byteCount: n) }
        end += n
        return n
    }

    public func markEndOfInput() { endOfInput = true }

    /// The next complete line, or nil when more input is needed. After end of input the
    /// last line is returned even without its newline.
    public func nextLine() -> Line? {
        while true {
            if discarding {
                guard let nl = findNewline(from: scanned) else {
                    consumedOffset += UInt64(end - start)
                    start = end
                    scanned = end
                    return nil
                }
                consumedOffset += UInt64(nl + 1 - start)
                start = nl + 1
                scanned = start
                discarding = false
                continue
            }
            if let nl = findNewline(from: scanned) {
                let length = nl - start
                let lineStart = start
                consumedOffset += UInt64(length + 1)
                start = nl + 1
                scanned = start
                if length > maxLineBytes {
                    return Line(bytes: bytes(lineStart, maxLineBytes), truncated: true, endOffset: consumedOffset)
                }
                return Line(bytes: stripCR(lineStart, length), truncated: false, endOffset: consumedOffset)
            }
            scanned = end
            let pending = end - start
            if pending > maxLineBytes {
                // Emit the head now and skip to the next newline: memory stays bounded.
                let lineStart = start
                consumedOffset += UInt64(pending)
                start = end
                scanned = end
                discarding = true
                return Line(bytes: bytes(lineStart, maxLineBytes), truncated: true, endOffset: consumedOffset)
            }
            if endOfInput && pending > 0 {
                let lineStart = start
                consumedOffset += UInt64(pending)
                start = end
                scanned = end
                return Line(bytes: stripCR(lineStart, pending), truncated: false, endOffset: consumedOffset)
            }
            return nil
        }
    }

    /// The unconsumed bytes, for sniffing a format before the first line is taken.
    public func peek() -> UnsafeRawBufferPointer { bytes(start, end - start) }

    /// Bytes of an incomplete last line waiting for its newline.
    public var pendingBytes: Int { discarding ? 0 : end - start }

    /// Hands out the incomplete last line (a live tail flushes it after a timeout).
    public func takePartialLine() -> Line? {
        let pending = end - start
        guard pending > 0, !discarding else { return nil }
        let lineStart = start
        consumedOffset += UInt64(pending)
        start = end
        scanned = end
        let length = min(pending, maxLineBytes)
        return Line(bytes: stripCR(lineStart, length), truncated: pending > maxLineBytes, endOffset: consumedOffset)
    }

    private func findNewline(from position: Int) -> Int? {
        guard position < end else { return nil }
        guard let hit = memchr(storage + position, 0x0A, end - position) else { return nil }
        return storage.distance(to: hit)
    }

    private func bytes(_ from: Int, _ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + from, count: count)
    }

    private func stripCR(_ from: Int, _ length: Int) -> UnsafeRawBufferPointer {
        var n = length
        if n > 0 && storage.load(fromByteOffset: from + n - 1, as: UInt8.self) == 0x0D { n -= 1 }
        return bytes(from, n)
    }

    /// Moves the unconsumed tail to the front when the free space at the end runs low.
    private func makeRoom() {
        if start == end {
            start = 0
            end = 0
            scanned = 0
            return
        }
        guard start > 0, capacity - end < capacity / 4 else { return }
        let pending = end - start
        memmove(storage, storage + start, pending)
        scanned -= start
        start = 0
        end = pending
    }
}
