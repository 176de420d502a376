import CrierCore
import CrierNotifiers
import CrierStore
import Logging
import ServiceLifecycle

/// One `NotifierDelivery` per notifier, run side by side so that one slow or dead webhook
/// never delays another, and stopped together. Shut down last: the requests in flight
/// finish, and whatever is still waiting stays in the outbox for the next start.
final class DeliveryService: Service, Sendable {
    let deliveries: [NotifierDelivery]
    private let wakeup: DeliveryWakeup

    /// - Parameters:
    ///   - makeTransport: the transport for a notifier (tests script them).
    ///   - inputEnded: true when the input ended (piped stdin): then what waits is delivered before exit.
    init(loaded: LoadedConfig, store: StateStore, wakeup: DeliveryWakeup, logger: Logger, telemetry: Telemetry? = nil,
         clock: any DeliveryClock = LiveDeliveryClock(),
         makeTransport: @escaping @Sendable (NotifierConfig) -> any Transport = Transports.make,
         inputEnded: @escaping @Sendable () -> Bool = { false },
         progress: @escaping @Sendable (NotifierDelivery.Progress) -> Void = { _ in }) throws(StoreError) {
        let shared = SharedLimits()
        var deliveries: [NotifierDelivery] = []
        for config in loaded.config.notifiers {
            deliveries.append(try NotifierDelivery(notifier: Notifiers.make(config), store: store, shared: shared, clock: clock,
                                                   logger: logger, telemetry: telemetry,
                                                   makeTransport: { makeTransport(config) }, inputEnded: inputEnded,
                                                   progress: progress))
        }
        self.deliveries = deliveries
        self.wakeup = wakeup
    }

    func run() async throws {
        let deliveries = self.deliveries
        wakeup.listen { for delivery in deliveries { delivery.wake() } }
        // Each delivery hears the group's graceful shutdown itself (task locals are inherited).
        try await withThrowingDiscardingTaskGroup { group in
            for delivery in deliveries { group.addTask { try await delivery.run() } }
        }
    }

    /// Asks every delivery to stop (outside a service group: `send-test`, `replay --send`).
    func requestStop(_ stop: StopRequest) { for delivery in deliveries { delivery.requestStop(stop) } }
}
