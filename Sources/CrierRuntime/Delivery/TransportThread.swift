import CrierCore
import CrierPlatform
import Dispatch
import Synchronization

/// A notifier's transport on a thread of its own: libcurl blocks for up to a request's
/// timeout, and blocking calls never run on Swift's cooperative pool (DESIGN §4). Requests
/// are handed over one at a time and their results come back to the awaiting task.
final class TransportThread: Sendable {
    private typealias Job = @Sendable (any Transport) -> Void

    /// What the thread and the tasks share: the jobs, counted by the semaphore.
    private final class Inbox: Sendable {
        struct State {
            var jobs: [Job] = []
            var closed = false
        }

        let state = Mutex(State())
        let ready = DispatchSemaphore(value: 0)
        let exited = OneShot()
    }

    private let inbox = Inbox()
    private let thread: DedicatedThread

    /// `make` is called on the thread, once: a transport never leaves it.
    init(_ make: @escaping @Sendable () -> any Transport) {
        let inbox = self.inbox
        thread = DedicatedThread.start {
            let transport = make()
            while true {
                inbox.ready.wait()
                let job = inbox.state.withLock { s -> Job? in s.jobs.isEmpty ? nil : s.jobs.removeFirst() }
                guard let job else { break }  // closed, and nothing left
                job(transport)
            }
            inbox.exited.fire()
        }
    }

    func send(_ request: DeliveryRequest) async -> TransportResult {
        await withCheckedContinuation { (c: CheckedContinuation<TransportResult, Never>) in
            let accepted = inbox.state.withLock { s -> Bool in
                guard !s.closed else { return false }
                s.jobs.append { c.resume(returning: $0.send(request)) }
                return true
            }
            if accepted {
                inbox.ready.signal()
            } else {
                c.resume(returning: .http(.failure(.network("delivery has stopped"))))
            }
        }
    }

    /// Lets the thread finish what it holds and end; returns once it has.
    func close() async {
        inbox.state.withLock { $0.closed = true }
        inbox.ready.signal()
        await inbox.exited.wait()
        thread.join()  // it has ended: this returns at once
    }
}
