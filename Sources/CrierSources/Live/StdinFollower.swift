#if canImport(Glibc)
import Glibc
#endif
public import CrierCore
import CrierPlatform

/// Reads standard input to its end (the embedded default when there is no journal, or
/// `crier run < file`). It cannot resume, so its chunks carry no checkpoint.
public final class StdinFollower: @unchecked Sendable {
    public let format: InputFormat
    public var batchSize = 1_000
    private let queue: ChunkQueue
    private let stop = StopSignal()
    private var thread: DedicatedThread?
    private let fd: Int32
    /// Called on the follower's thread when input has ended.
    public var onEnd: @Sendable () -> Void = {}

    public init(format: InputFormat, queue: ChunkQueue, fd: Int32 = 0, maxLineBytes: Int = 1 << 20) {
        self.format = format
        self.queue = queue
        self.fd = fd
        self.maxLineBytes = maxLineBytes
    }

    private let maxLineBytes: Int

    public func start() { thread = DedicatedThread.start { [self] in run() } }

    public func stopAndWait() {
        stop.fire()
        queue.interrupt()  // a send waiting for a free slot sees the stop
        thread?.join()
        thread = nil
    }

    private func run() {
        defer { onEnd() }
        let buffer = LineBuffer(maxLineBytes: maxLineBytes)
        var lineNumber = 0
        while !stop.isFired {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 && errno != EINTR { return }
            if fds[1].revents != 0 { return }
            let result = buffer.read(from: fd)
            var batch = LineBatch(format: format, messageKey: nil, firstLine: lineNumber + 1)
            while let line = buffer.nextLine() {
                lineNumber += 1
                batch.append(line.bytes, truncated: line.truncated)
                if batch.lines.count >= batchSize {
                    batch.seal()
                    guard queue.send(SourceChunk(source: "stdin", payload: .lines(batch), checkpoint: nil, maxAge: nil), stop: stop) else { return }
                    batch = LineBatch(format: format, messageKey: nil, firstLine: lineNumber + 1)
                }
            }
            if !batch.lines.isEmpty {
                batch.seal()
                guard queue.send(SourceChunk(source: "stdin", payload: .lines(batch), checkpoint: nil, maxAge: nil), stop: stop) else { return }
            }
            if case .failed = result { return }
            if buffer.endOfInput { return }
        }
    }
}
