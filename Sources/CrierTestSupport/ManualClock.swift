public import CrierCore
import Synchronization

/// A `DeliveryClock` moved by hand. A sleeper wakes exactly when the clock reaches its
/// deadline (or its doorbell rings), never by real time passing, so a test can say when a
/// request is due to the microsecond and check it was neither early nor late.
///
/// A test steps a service with `sleepers()` (wait until it sleeps, and see until when) and
/// `advance(to:)`.
public final class ManualClock: DeliveryClock {
    private struct Sleeper {
        var id: Int
        var deadline: Timestamp?
        var shot: OneShot
    }

    private struct Watcher {
        var count: Int
        var continuation: CheckedContinuation<[Timestamp?], Never>
    }

    private struct State {
        var now: Timestamp
        var sleepers: [Sleeper] = []
        var nextID = 0
        /// Sleeps whose doorbell rang before they were registered: not registered at all.
        var cancelled: Set<Int> = []
        var watchers: [Watcher] = []
    }

    private let state: Mutex<State>

    public init(_ start: Timestamp) { state = Mutex(State(now: start)) }

    public func now() -> Timestamp { state.withLock { $0.now } }

    public func sleep(until deadline: Timestamp?, bell: Doorbell) async {
        if let deadline, deadline <= now() { return }
        let shot = OneShot()
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        // The bell first: a ring from now on removes this sleeper at once (in `ring()` itself),
        // so a test that rings and then asks for sleepers never sees a stale one.
        guard bell.listen({ [self] in
            cancel(id)
            shot.fire()
        }) else { return }
        let ready = state.withLock { s -> [(CheckedContinuation<[Timestamp?], Never>, [Timestamp?])] in
            if s.cancelled.remove(id) != nil { return [] }
            s.sleepers.append(Sleeper(id: id, deadline: deadline, shot: shot))
            return ManualClock.satisfied(&s)
        }
        for (c, deadlines) in ready { c.resume(returning: deadlines) }
        await withTaskCancellationHandler {
            await shot.wait()
        } onCancel: {
            cancel(id)
            shot.fire()
        }
        bell.stopListening()
        state.withLock { s in
            s.sleepers.removeAll { $0.id == id }
            s.cancelled.remove(id)
        }
    }

    private func cancel(_ id: Int) {
        state.withLock { s in
            if let i = s.sleepers.firstIndex(where: { $0.id == id }) {
                s.sleepers.remove(at: i)
            } else {
                s.cancelled.insert(id)
            }
        }
    }

    /// Moves the clock forward (never back) and wakes every sleeper whose deadline is reached.
    public func advance(to time: Timestamp) {
        let due = state.withLock { s -> [OneShot] in
            s.now = max(s.now, time)
            let now = s.now
            let due = s.sleepers.filter { $0.deadline.map { $0 <= now } ?? false }
            s.sleepers.removeAll { $0.deadline.map { $0 <= now } ?? false }
            return due.map(\.shot)
        }
        for shot in due { shot.fire() }
    }

    public func advance(by duration: Duration) { advance(to: now() + duration) }

    /// Waits until at least `count` tasks sleep on this clock; returns their deadlines, earliest
    /// first (nil, last: sleeping until woken).
    public func sleepers(_ count: Int = 1) async -> [Timestamp?] {
        await withCheckedContinuation { (c: CheckedContinuation<[Timestamp?], Never>) in
            let ready = state.withLock { s -> [Timestamp?]? in
                if s.sleepers.count >= count { return ManualClock.deadlines(s) }
                s.watchers.append(Watcher(count: count, continuation: c))
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Steps time from deadline to deadline until the one sleeper sleeps with none (it is
    /// idle, waiting to be woken) or `limit` is passed. Returns the deadlines it stopped at.
    @discardableResult
    public func runUntilIdle(limit: Timestamp? = nil) async -> [Timestamp] {
        var visited: [Timestamp] = []
        while let deadline = await sleepers(1).first!, limit.map({ deadline <= $0 }) ?? true {
            visited.append(deadline)
            advance(to: deadline)
        }
        return visited
    }

    private static func deadlines(_ s: State) -> [Timestamp?] {
        let timed = s.sleepers.compactMap(\.deadline).sorted()
        return timed.map { Optional($0) } + Array(repeating: nil, count: s.sleepers.count - timed.count)
    }

    private static func satisfied(_ s: inout State) -> [(CheckedContinuation<[Timestamp?], Never>, [Timestamp?])] {
        let count = s.sleepers.count
        let ready = s.watchers.filter { $0.count <= count }
        s.watchers.removeAll { $0.count <= count }
        let deadlines = deadlines(s)
        return ready.map { ($0.continuation, deadlines) }
    }
}
