import CrierCore

/// Container runtimes cut long lines: Kubernetes CRI files mark the pieces `P` (partial)
/// up to the last `F`, Docker's json-file driver leaves the `\n` off every piece but the
/// last (16 KiB each). The pieces are kept here, per stream, until the line is whole. A
/// piece never completed (the container died mid-line) is still given out, by `flush`.
final class PartialLineJoiner {
    enum Kind { case cri, dockerJSON }

    struct Pending {
        var kind: Kind
        /// 0: stdout, 1: stderr.
        var stream: Int
        /// A CRI line: its own header (time, stream, `F `) then every piece's text. A Docker
        /// piece: the text only.
        var bytes: [UInt8] = []
        var line: Int
        var timestamp: Timestamp?
        var truncated = false
    }

    /// Index 0: stdout, 1: stderr.
    private(set) var pending: [Pending?] = [nil, nil]
    let maxBytes: Int

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    var isEmpty: Bool { pending[0] == nil && pending[1] == nil }

    func has(stream: Int) -> Bool { pending[stream] != nil }

    /// Adds a CRI piece; `line` is the whole CRI line, `tag` where its `P`/`F` is.
    func addCRI(_ line: UnsafeRawBufferPointer, tag: Int, stream: Int, lineNumber: Int) {
        let textStart = min(tag + 2, line.count)
        if pending[stream] == nil {
            var p = Pending(kind: .cri, stream: stream, line: lineNumber)
            p.bytes.reserveCapacity(line.count * 2)
            p.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[0..<tag]))
            p.bytes.append(contentsOf: [0x46, 0x20])  // "F "
            pending[stream] = p
        }
        append(UnsafeRawBufferPointer(rebasing: line[textStart...]), stream: stream)
    }

    /// Adds a Docker json-file piece (the `log` value, unescaped).
    func addDocker(_ text: UnsafeRawBufferPointer, stream: Int, lineNumber: Int, timestamp: Timestamp?) {
        if pending[stream] == nil { pending[stream] = Pending(kind: .dockerJSON, stream: stream, line: lineNumber, timestamp: timestamp) }
        append(text, stream: stream)
    }

    private func append(_ text: UnsafeRawBufferPointer, stream: Int) {
        let room = maxBytes - pending[stream]!.bytes.count
        if text.count > room {
            pending[stream]!.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[0..<max(0, room)]))
            pending[stream]!.truncated = true
        } else {
            pending[stream]!.bytes.append(contentsOf: text)
        }
    }

    /// Takes the stream's pieces out.
    func take(stream: Int) -> Pending? {
        defer { pending[stream] = nil }
        return pending[stream]
    }
}
