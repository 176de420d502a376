#if canImport(Glibc)
import Glibc
#endif
public import CrierCore

/// Buffered writes to a file descriptor (stdout for reports), flushed in 64 KiB chunks.
///
/// Text lines may quote log text, which strangers write: every text write shows control
/// characters as `\u{…}` (`VisibleControls`), so no escape sequence from a log reaches the
/// terminal, whichever report forgot to. JSON lines are already escaped by their encoder.
public final class OutputWriter {
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// When capturing (tests, `crier test`), output collects here instead of a descriptor.
    private var captured: [UInt8]?
    /// Set when a write failed (a closed pipe): further output is dropped, the run goes on.
    public private(set) var failed = false

    public init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    /// Collects output in memory; read it with `capturedText`.
    public init(capturing: Void) {
        fd = -1
        captured = []
    }

    public var capturedText: String {
        flush()
        return String(decoding: captured ?? [], as: UTF8.self)
    }

    deinit { flush() }

    public func write(_ text: String) {
        buffer.append(contentsOf: VisibleControls.escape(text).utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Writes a JSON value and a newline, encoding straight into the buffer.
    public func line(_ json: JSONValue) {
        json.encode(into: &buffer)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func line(_ text: String = "") {
        write(text)
        buffer.append(0x0A)
    }

    public func flush() {
        if captured != nil {
            captured!.append(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
            return
        }
        guard !buffer.isEmpty, !failed else {
            buffer.removeAll(keepingCapacity: true)
            return
        }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
