#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own for a blocking loop (poll, read, sd-journal, curl): blocking C calls
/// never run on Swift's cooperative pool (DESIGN §4).
public final class DedicatedThread: @unchecked Sendable {
    // Written once by pthread_create before `start` returns; read only by `join`.
    private var thread = pthread_t()
    private let body: @Sendable () -> Void

    private init(body: @escaping @Sendable () -> Void) { self.body = body }

    public static func start(_ body: @escaping @Sendable () -> Void) -> DedicatedThread {
        let t = DedicatedThread(body: body)
        let box = Unmanaged.passRetained(t).toOpaque()
        pthread_create(&t.thread, nil, { raw in
            let t = Unmanaged<DedicatedThread>.fromOpaque(raw!).takeRetainedValue()
            t.body()
            return nil
        }, box)
        return t
    }

    public func join() { pthread_join(thread, nil) }
}
