import Dispatch
import Synchronization

/// Runs async work from a synchronous command (`send-test`, `replay --send`) and waits for
/// its result. Called on the main thread, which is not part of Swift's cooperative pool, so
/// the wait blocks nothing the work needs.
enum BlockingTask {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let value = await body()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}
