#if canImport(Glibc)
import Glibc
#endif
public import CrierCore
import CrierPlatform

/// Follows the systemd journal on a thread of its own: reads what is there in chunks of up
/// to `batchSize` entries, then sleeps in poll(2) on the journal's descriptor until
/// journald appends (no wake-ups while idle, unless sd-journal asks for a timeout).
/// Rotation, vacuuming and journald restarts come as `invalidated` and need nothing but
/// reading on.
public final class JournalFollower: @unchecked Sendable {
    public let source: String
    public let config: JournalSourceConfig
    public var batchSize = 1_000
    private let journal: SystemdJournal
    private let queue: ChunkQueue
    private let stop = StopSignal()
    private var thread: DedicatedThread?
    /// Set by the thread when it ends on an error; read after `join`.
    public private(set) var failure: String?

    /// Opens the journal and positions it; errors (no permission, bad match) surface here.
    public init(config: JournalSourceConfig, checkpoint: SourceCheckpoint?, queue: ChunkQueue) throws(SourceError) {
        self.config = config
        self.queue = queue
        source = config.directory.map { "journal:\($0)" } ?? "journal"
        if let problem = SystemdJournal.permissionProblem(directory: config.directory) { throw SourceError(problem) }
        journal = try SystemdJournal(location: config.directory.map { .directory($0) } ?? .system,
                                     units: config.units, matches: config.match)
        switch (config.start, checkpoint) {
        case (.resume, .journal(let cursor)?):
            // A vacuumed cursor: everything left is newer than it, so start at the head.
            if !journal.seek(after: cursor) { journal.seekHead() }
        case (.head, _):
            journal.seekHead()
        default:
            journal.seekTail()
        }
    }

    public func start() {
        thread = DedicatedThread.start { [self] in run() }
    }

    /// Stops reading and waits for the thread; the last chunk sent stays valid.
    public func stopAndWait() {
        stop.fire()
        queue.interrupt()  // a send waiting for a free slot sees the stop
        thread?.join()
        thread = nil
    }

    private func run() {
        while !stop.isFired {
            var batch = EntryBatch()
            var count = 0
            while count < batchSize && journal.next() {
                count += 1
                journal.withCurrentEntry(index: count) { batch.append($0) }
            }
            if count > 0 {
                let chunk = SourceChunk(source: source, payload: .entries(batch),
                                        checkpoint: journal.cursor().map { .journal(cursor: $0) }, maxAge: config.maxAge)
                if !queue.send(chunk, stop: stop) { return }
                if count == batchSize { continue }  // more may be waiting: read before sleeping
            }
            var fds = [pollfd(fd: journal.fileDescriptor, events: journal.pollEvents, revents: 0),
                       pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0)]
            let rc = poll(&fds, 2, journal.pollTimeoutMillis)
            if rc < 0 && errno != EINTR {
                failure = "waiting for the journal failed: \(String(cString: strerror(errno)))"
                return
            }
            _ = journal.process()
        }
    }
}
