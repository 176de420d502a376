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

    init(loaded: LoadedConfig, store: StateStore, wakeup: DeliveryWakeup, logger: Logger, telemetry: Telemetry? = nil,
         makeTransport: @escaping @Sendable (NotifierConfig) -> any Transport = { CurlTransport(caBundle: $0.caBundle) })
        throws(StoreError)
    {
        let shared = SharedLimits()
        let console = OutputWriter()
        var workers: [DeliveryWorker] = []
        for config in loaded.config.notifiers {
            let worker = try DeliveryWorker(notifier: Notifiers.make(config), store: store, shared: shared, logger: logger,
                                            console: config.kind == .console ? console : nil,
                                            makeTransport: { makeTransport(config) })
            worker.telemetry = telemetry
            workers.append(worker)
        }
        self.workers = workers
        self.wakeup = wakeup
    }

    /// True when the input ended (piped stdin): then what waits is delivered before exit.
    var inputEnded: @Sendable () -> Bool = { false }
    /// How long an ended input waits for its messages to go out.
    static let drainOnInputEnd = Duration.seconds(60)
    /// The console costs nothing: what is due is always printed before exit.
    static let drainConsole = Duration.seconds(5)

    func run() async throws {
        for worker in workers { worker.start() }
        let workers = self.workers
        wakeup.listen { for worker in workers { worker.wake() } }
        try? await gracefulShutdown()
        // On SIGTERM a network notifier only finishes its request in flight: the rest waits
        // in the outbox for the next start, and a stop stays quick.
        let ended = inputEnded()
        for worker in workers {
            worker.requestStop(drainFor: ended ? Self.drainOnInputEnd : worker.kind == .console ? Self.drainConsole : nil)
        }
        for worker in workers { worker.stopAndWait() }
    }
}
