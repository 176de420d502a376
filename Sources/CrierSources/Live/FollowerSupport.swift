import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A pipe a follower polls beside its input, so `fire()` wakes it at once (no periodic
/// wake-ups to check a flag).
public final class StopSignal: @unchecked Sendable {
    /// Poll this for POLLIN.
    public let fd: Int32
    private let writeEnd: Int32
    private let stopped = Mutex(false)

    public init() {
        var ends: [Int32] = [0, 0]
        pipe(&ends)
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        fd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(fd)
        close(writeEnd)
    }

    public func fire() {
        stopped.withLock { $0 = true }
        var one: UInt8 = 1
        _ = write(writeEnd, &one, 1)
    }

    public var isFired: Bool { stopped.withLock { $0 } }
}

/// Carries chunks from follower threads to the pipeline task. Bounded: a follower that is
/// `capacity` chunks ahead blocks in `send` until the pipeline has committed one, so a
/// burst never piles up unbounded in memory (the backlog stays in the file or journal).
/// Timers post `wake` items, which take no slot.
public final class ChunkQueue: Sendable {
    public enum Item: Sendable {
        case chunk(SourceChunk)
        /// A deadline passed (or a follower ended): the pipeline should look at the clock.
        case wake
    }

    public let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let slots: SlotCounter

    public init(capacity: Int = 8) {
        (items, continuation) = AsyncStream.makeStream(of: Item.self)
        slots = SlotCounter(capacity)
    }

    /// Blocks while the queue is full; returns false when `stop` fired meanwhile.
    public func send(_ chunk: SourceChunk, stop: StopSignal) -> Bool {
        guard slots.take(unless: stop) else { return false }
        continuation.yield(.chunk(chunk))
        return true
    }

    public func wake() { continuation.yield(.wake) }

    /// The consumer has committed a chunk: one more may come.
    public func release() { slots.give() }

    public func finish() { continuation.finish() }

    /// Wakes senders blocked on a full queue so they notice their stop signal.
    public func interrupt() { slots.interrupt() }
}

/// A counting semaphore that a stop signal can interrupt (and that, unlike
/// DispatchSemaphore, may be freed with slots still taken).
final class SlotCounter: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var available: Int

    init(_ capacity: Int) {
        available = capacity
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Waits for a slot; false if `stop` fired first.
    func take(unless stop: StopSignal) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while available == 0 {
            if stop.isFired { return false }
            // Woken by give(), or by the stop signal's interrupt().
            pthread_cond_wait(&condition, &mutex)
        }
        available -= 1
        return true
    }

    func give() {
        pthread_mutex_lock(&mutex)
        available += 1
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Wakes every waiter so it can look at its stop signal.
    func interrupt() {
        pthread_mutex_lock(&mutex)
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }
}
