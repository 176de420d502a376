import Synchronization

/// Time as delivery sees it: read, and slept on until a deadline or a ring of its doorbell
/// (new rows written, a stop). The live clock is the wall clock; tests move a manual one by
/// hand, so pacing and back-off are checked to the microsecond without waiting.
public protocol DeliveryClock: Sendable {
    func now() -> Timestamp
    /// Returns at `deadline` (nil: only on a ring), or as soon as `bell` rings, whichever is
    /// first. A ring that came while nobody slept is kept and ends the next sleep at once.
    func sleep(until deadline: Timestamp?, bell: Doorbell) async
}

/// Wakes one sleeper early. A ring is never lost: rung while nobody listens, it is kept for
/// the next listener.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var listener: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let listener = state.withLock { s -> (@Sendable () -> Void)? in
            guard let l = s.listener else {
                s.rung = true
                return nil
            }
            s.listener = nil
            return l
        }
        listener?()
    }

    /// For clocks: `listener` is called once, at the next ring. Returns false, registering
    /// nothing, when a ring is already waiting (and consumes it).
    public func listen(_ listener: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { s in
            if s.rung {
                s.rung = false
                return false
            }
            s.listener = listener
            return true
        }
    }

    /// For clocks: the sleep ended otherwise; the listener is dropped.
    public func stopListening() { state.withLock { $0.listener = nil } }
}

/// Resumes one waiter at most once, from whichever side comes first (a deadline, the
/// doorbell, a cancellation); firing before the wait makes the wait return at once.
public final class OneShot: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Void, Never>)
        case fired
    }

    private let state = Mutex(State.idle)

    public init() {}

    public func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let already = state.withLock { s -> Bool in
                if case .fired = s { return true }
                s = .waiting(c)
                return false
            }
            if already { c.resume() }
        }
    }

    public func fire() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            defer { s = .fired }
            if case .waiting(let c) = s { return c }
            return nil
        }
        waiter?.resume()
    }
}
