#if canImport(Glibc)
import Glibc
#endif
public import CrierCore
import CrierPlatform

/// Tails files matching globs on a thread of its own, like `tail -F` done right:
///
/// * files that appear later are picked up (their directories are watched with inotify;
///   when inotify is unavailable, they are polled every `pollInterval`);
/// * rename + create rotation: the old file is read to its end, then the new one from 0;
/// * copytruncate: a file that shrank below the read position is read again from 0 (lines
///   written between the copy and the truncate are lost whatever a reader does);
/// * a symlink pointed elsewhere is a new file; a deleted file is read to its end and
///   waited for;
/// * a last line without its newline is held until the newline comes, or handed out after
///   `partialLineTimeout`;
/// * each chunk carries the checkpoint (device, inode, offset and a hash of the first bytes),
///   so a restart resumes exactly, and a new file that reused the inode is read from 0.
public final class FileFollower: @unchecked Sendable {
    public let config: FileSourceConfig
    public var maxAge: Duration?
    public var batchSize = 1_000
    public var partialLineTimeout: Duration = .seconds(5)
    public var pollInterval: Duration = .seconds(1)
    public var maxLineBytes = 1 << 20
    /// The wall clock, injectable for tests of the partial-line timeout.
    public var now: @Sendable () -> Timestamp = { WallClock.now() }

    private let queue: ChunkQueue
    private let checkpoint: (String) -> SourceCheckpoint?
    private let stop = StopSignal()
    private var thread: DedicatedThread?
    private var tails: [String: Tail] = [:]
    private var inotifyFD: Int32 = -1
    private var watchedDirectories: [String: Int32] = [:]
    private var initialScanDone = false
    public private(set) var failure: String?

    static let headBytes = 256

    final class Tail {
        let path: String
        var fd: Int32 = -1
        var device: UInt64 = 0
        var inode: UInt64 = 0
        /// File offset where `buffer` started reading.
        var base: UInt64 = 0
        /// File offset of the next read.
        var position: UInt64 = 0
        var buffer: LineBuffer
        var headHash: UInt64 = 0
        var headLength = 0
        var partialSince: Timestamp?
        var lineNumber = 0

        init(path: String, maxLineBytes: Int) {
            self.path = path
            buffer = LineBuffer(maxLineBytes: maxLineBytes, minimumCapacity: 256 * 1024)
            buffer.endOfFileEndsInput = false
        }

        var source: String { "file:\(path)" }
        var isOpen: Bool { fd >= 0 }
    }

    public init(config: FileSourceConfig, maxAge: Duration?, queue: ChunkQueue,
                checkpoint: @escaping (String) -> SourceCheckpoint?) {
        self.config = config
        self.maxAge = maxAge
        self.queue = queue
        self.checkpoint = checkpoint
    }

    /// Watches and places every file before returning, so that what is written after
    /// `start()` is read even if the thread has not run yet.
    public func start() {
        inotifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        scan()
        initialScanDone = true
        thread = DedicatedThread.start { [self] in run() }
    }

    public func stopAndWait() {
        stop.fire()
        queue.interrupt()  // a send waiting for a free slot sees the stop
        thread?.join()
        thread = nil
    }

    // MARK: - Loop

    private func run() {
        defer {
            if inotifyFD >= 0 { close(inotifyFD) }
            for tail in tails.values where tail.isOpen { close(tail.fd) }
        }
        while !stop.isFired {
            for path in tails.keys.sorted() {
                guard let tail = tails[path] else { continue }
                if !pump(tail) { return }
            }
            var fds = [pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0)]
            if inotifyFD >= 0 { fds.append(pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0)) }
            let rc = poll(&fds, nfds_t(fds.count), timeoutMillis())
            if rc < 0 && errno != EINTR {
                failure = "waiting for file changes failed: \(String(cString: strerror(errno)))"
                return
            }
            if inotifyFD >= 0 && fds.count > 1 && fds[1].revents != 0 {
                if drainInotify() { scan() }
            } else if rc == 0 {
                scan()  // a timeout: polling fallback, or a partial line is due
            }
        }
    }

    /// Until the next partial-line deadline; `pollInterval` when something is not watched;
    /// otherwise forever (no idle wake-ups).
    private func timeoutMillis() -> Int32 {
        var timeout: Int64 = -1
        let now = self.now()
        for tail in tails.values {
            guard let since = tail.partialSince else { continue }
            let left = max(0, (since + partialLineTimeout - now).microseconds / 1000 + 1)
            timeout = timeout < 0 ? left : min(timeout, left)
        }
        if needsPolling {
            let interval = pollInterval.microseconds / 1000
            timeout = timeout < 0 ? interval : min(timeout, interval)
        }
        return Int32(clamping: timeout)
    }

    private var needsPolling: Bool {
        inotifyFD < 0 || config.paths.contains { !watchedDirectories.keys.contains(FileFollower.directory(of: $0)) }
    }

    /// Reads pending inotify events; true when a file may have appeared or gone.
    private func drainInotify() -> Bool {
        var structural = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            var offset = 0
            while offset < n {
                let mask = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self) }
                let nameLength = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self) }
                if mask & UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW) != 0 {
                    structural = true
                }
                offset += 16 + Int(nameLength)
            }
        }
        return structural
    }

    // MARK: - Discovery

    /// Expands the globs, starts tails for new files and watches their directories.
    private func scan() {
        for pattern in config.paths {
            watch(FileFollower.directory(of: pattern))
            for path in FileFollower.expand(pattern) where tails[path] == nil {
                let tail = Tail(path: path, maxLineBytes: maxLineBytes)
                tails[path] = tail
                open(tail, fresh: initialScanDone)
            }
        }
        for tail in tails.values where !tail.isOpen {
            open(tail, fresh: true)  // a deleted file that came back is new
        }
    }

    private func watch(_ directory: String) {
        guard inotifyFD >= 0, watchedDirectories[directory] == nil else { return }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
        let wd = inotify_add_watch(inotifyFD, directory, mask)
        if wd >= 0 { watchedDirectories[directory] = wd }
    }

    /// Opens a file and places the read position: at the checkpoint when it is the same
    /// file, at 0 when it is new, at the end when it was there before crier (unless
    /// `read_from_head`).
    private func open(_ tail: Tail, fresh: Bool) {
        let fd = Glibc.open(tail.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return }
        var st = stat()
        fstat(fd, &st)
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return
        }
        tail.fd = fd
        tail.device = UInt64(st.st_dev)
        tail.inode = UInt64(st.st_ino)
        let size = UInt64(st.st_size)
        var start: UInt64 = 0
        // Checkpoints describe files as they were when crier stopped: they apply to what the
        // first scan finds, never to a file that turns up while running.
        switch initialScanDone ? nil : checkpoint(tail.source) {
        case .file(_, let dev, let ino, let offset, let hash, let length)?
            where dev == tail.device && ino == tail.inode && offset <= size && FileFollower.headHash(fd, length) == hash:
            start = offset
        case .some:
            start = 0  // the file we were reading is gone; this one is new since
        case nil:
            start = fresh || config.readFromHead ? 0 : size
        }
        lseek(fd, off_t(start), SEEK_SET)
        tail.base = start
        tail.position = start
        tail.buffer = LineBuffer(maxLineBytes: maxLineBytes, minimumCapacity: 256 * 1024)
        tail.buffer.endOfFileEndsInput = false
        tail.partialSince = nil
        updateHead(tail)
        var real = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        if realpath(tail.path, &real) != nil {
            watch(FileFollower.directory(of: real.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }))
        }
    }

    private func updateHead(_ tail: Tail) {
        guard tail.headLength < FileFollower.headBytes else { return }
        var st = stat()
        guard fstat(tail.fd, &st) == 0 else { return }
        let length = min(Int(st.st_size), FileFollower.headBytes)
        if length > tail.headLength || length == 0 {
            tail.headLength = length
            tail.headHash = FileFollower.headHash(tail.fd, length)
        }
    }

    static func headHash(_ fd: Int32, _ length: Int) -> UInt64 {
        var bytes = [UInt8](repeating: 0, count: max(length, 0))
        let n = length == 0 ? 0 : bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, 0) }
        var fp = Fingerprint()
        bytes.withUnsafeBytes { fp.combine(UnsafeRawBufferPointer(rebasing: $0[0..<max(0, n)])) }
        return fp.value
    }

    // MARK: - Reading

    /// Checks for rotation, reads what is new and sends it. False when stopped.
    private func pump(_ tail: Tail) -> Bool {
        guard tail.isOpen else { return true }
        var st = stat()
        let exists = stat(tail.path, &st) == 0
        if exists && (UInt64(st.st_ino) != tail.inode || UInt64(st.st_dev) != tail.device) {
            // Renamed away and replaced (or a symlink now points elsewhere): finish the old file.
            guard readAvailable(tail) else { return false }
            guard flushPartial(tail, force: true) else { return false }
            close(tail.fd)
            tail.fd = -1
            tail.headLength = 0
            open(tail, fresh: true)
            return readAvailable(tail)
        }
        if exists && UInt64(st.st_size) < tail.position {
            // Truncated in place (copytruncate).
            lseek(tail.fd, 0, SEEK_SET)
            tail.base = 0
            tail.position = 0
            tail.buffer = LineBuffer(maxLineBytes: maxLineBytes, minimumCapacity: 256 * 1024)
            tail.buffer.endOfFileEndsInput = false
            tail.partialSince = nil
            tail.headLength = 0
            updateHead(tail)
        }
        guard readAvailable(tail) else { return false }
        if !exists {
            // Deleted: what was written is read; wait for the path to come back.
            guard flushPartial(tail, force: true) else { return false }
            close(tail.fd)
            tail.fd = -1
            tail.headLength = 0
            return true
        }
        return flushPartial(tail, force: false)
    }

    /// Reads to the current end of file, sending complete lines in chunks.
    private func readAvailable(_ tail: Tail) -> Bool {
        var batch = newBatch(tail)
        var lastEnd: UInt64?
        while true {
            let result = tail.buffer.read(from: tail.fd)
            if case .bytes(let n) = result { tail.position += UInt64(n) }
            while let line = tail.buffer.nextLine() {
                batch.append(line.bytes, truncated: line.truncated)
                tail.lineNumber += 1
                lastEnd = tail.base + line.endOffset
                if batch.lines.count >= batchSize {
                    guard send(batch, tail, end: lastEnd!) else { return false }
                    batch = newBatch(tail)
                }
            }
            if tail.buffer.pendingBytes > 0 && tail.partialSince == nil { tail.partialSince = now() }
            if tail.buffer.pendingBytes == 0 { tail.partialSince = nil }
            guard case .bytes(let n) = result, n > 0 else { break }
        }
        updateHead(tail)
        if !batch.lines.isEmpty, let lastEnd { return send(batch, tail, end: lastEnd) }
        return true
    }

    /// Hands out a last line that has waited `partialLineTimeout` (or must go now).
    private func flushPartial(_ tail: Tail, force: Bool) -> Bool {
        guard let since = tail.partialSince, force || now() - since >= partialLineTimeout,
              let line = tail.buffer.takePartialLine() else { return true }
        tail.partialSince = nil
        var batch = newBatch(tail)
        batch.append(line.bytes, truncated: line.truncated)
        tail.lineNumber += 1
        return send(batch, tail, end: tail.base + line.endOffset)
    }

    private func newBatch(_ tail: Tail) -> LineBatch {
        LineBatch(format: config.format, messageKey: config.messageKey, firstLine: tail.lineNumber + 1)
    }

    private func send(_ batch: LineBatch, _ tail: Tail, end: UInt64) -> Bool {
        var batch = batch
        batch.seal()
        let position = SourceCheckpoint.file(path: tail.path, device: tail.device, inode: tail.inode, offset: end,
                                             headFingerprint: tail.headHash, headLength: tail.headLength)
        return queue.send(SourceChunk(source: tail.source, payload: .lines(batch), checkpoint: position, maxAge: maxAge),
                          stop: stop)
    }

    // MARK: - Paths

    static func directory(of pattern: String) -> String {
        guard let slash = pattern.lastIndex(of: "/") else { return "." }
        let dir = String(pattern[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// glob(3) expansion, sorted; a plain path is returned when it exists.
    static func expand(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { i in g.gl_pathv[i].map { String(cString: $0) } }.sorted()
    }
}
