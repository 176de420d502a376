import CrierCore
import CrierNotifiers
import CrierStore
import Logging
import ServiceLifecycle

/// One delivery worker per notifier. Shut down last: the requests in flight finish, and
/// whatever is still pending stays in the outbox for the next start.
final class DeliveryService: Service, @unchecked Sendable {
    let workers: [DeliveryWorker]
    private let wakeup: DeliveryWakeup

    init(loaded: LoadedConfig, store: StateStore, wakeup: DeliveryWakeup, logger: Logger,
         makeTransport: @escaping @Sendable (NotifierConfig) -> any Transport = { CurlTransport(caBundle: $0.caBundle) })
        throws(StoreError)
    {
        let shared = SharedLimits()
        let console = OutputWriter()
        var workers: [DeliveryWorker] = []
        for config in loaded.config.notifiers {
            workers.append(try DeliveryWorker(notifier: Notifiers.make(config), store: store, shared: shared, logger: logger,
                                              console: config.kind == .console ? console : nil,
                                              makeTransport: { makeTransport(config) }))
        }
        self.workers = workers
        self.wakeup = wakeup
    }

    func run() async throws {
        for worker in workers { worker.start() }
        let workers = self.workers
        wakeup.listen { for worker in workers { worker.wake() } }
        try? await gracefulShutdown()
        for worker in workers { worker.stopAndWait() }
    }
}
