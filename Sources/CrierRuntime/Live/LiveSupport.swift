import CrierCore
import CrierPlatform
import CrierSources
import Synchronization

/// Wakes the pipeline when its next deadline comes, and only then (no idle wake-ups).
final class DeadlineTimer: Sendable {
    private struct State {
        var deadline: Timestamp?
        var task: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private let queue: ChunkQueue

    init(queue: ChunkQueue) { self.queue = queue }

    /// Re-arms for `deadline` (wall time); nil disarms.
    func arm(at deadline: Timestamp?) {
        state.withLock { s in
            guard s.deadline != deadline else { return }
            s.task?.cancel()
            s.deadline = deadline
            guard let deadline else {
                s.task = nil
                return
            }
            let queue = self.queue
            let delay = max(.zero, deadline - WallClock.now())
            s.task = Task {
                do {
                    try await Task.sleep(for: .microseconds(delay.microseconds))
                } catch {
                    return
                }
                queue.wake()
            }
        }
    }

    func cancel() { arm(at: nil) }
}

/// Tells the delivery workers that new outbox rows were committed.
final class DeliveryWakeup: Sendable {
    private let listener = Mutex<(@Sendable () -> Void)?>(nil)

    func listen(_ body: @escaping @Sendable () -> Void) { listener.withLock { $0 = body } }

    func wake() { listener.withLock { $0 }?() }
}

/// Ready once every part says so (followers positioned, pipeline state restored and saved):
/// then, and not before, crier tells systemd READY=1 and logs that it is running. Signal
/// handlers are installed by then, so a SIGTERM right after is a clean shutdown.
final class Readiness: Sendable {
    private let remaining: Mutex<Int>
    private let action: @Sendable () -> Void

    init(parts: Int, _ action: @escaping @Sendable () -> Void) {
        remaining = Mutex(parts)
        self.action = action
    }

    func partReady() {
        let fire = remaining.withLock { n -> Bool in
            n -= 1
            return n == 0
        }
        if fire { action() }
    }
}

/// A condition that becomes true once, read from other threads.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
