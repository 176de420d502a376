import CrierCore
import CrierPlatform
import CrierNotifiers
import CrierStore
import Foundation
import Logging

/// `crier replay --send`: the replay's messages go into the configured state's outbox and
/// are delivered in real time under the real limits; the command returns once each is
/// delivered or dead (or waits on a disabled notifier). Interrupted, what is left stays in
/// the outbox for `crier run`.
enum ReplaySender {
    static func deliver(_ messages: [OutgoingMessage], loaded: LoadedConfig) -> Int32 {
        var logger = Logger(label: "crier")
        logger.logLevel = ProcessInfo.processInfo.environment["CRIER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .notice
        let directory = LiveRuntime.stateDirectory(loaded.config, environment: ProcessInfo.processInfo.environment)
        do {
            let store = try StateStore(directory: directory)
            var changes = StateStore.Changes(now: WallClock.now())
            changes.outbox = messages.map(OutboxEntry.init)
            try store.commit(changes)
            let (progress, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let service = try DeliveryService(loaded: loaded, store: store, wakeup: DeliveryWakeup(), logger: logger,
                                              progress: { _ in signal.yield() })
            BlockingTask.run {
                await withDiscardingTaskGroup { group in
                    group.addTask { try? await service.run() }
                    var updates = progress.makeAsyncIterator()
                    while service.deliveries.filter({ $0.state.disabledReason == nil })
                        .reduce(0, { $0 + ((try? store.waitingCount(notifier: $1.name)) ?? 0) }) > 0 {
                        _ = await updates.next()
                    }
                    service.requestStop(.now)
                }
            }
            let out = OutputWriter()
            out.line("sent \(messages.count) messages:")
            for delivery in service.deliveries {
                let rows = try store.history(notifier: delivery.name, limit: 1_000_000)
                let counts = Dictionary(grouping: rows, by: \.statusText).mapValues(\.count)
                let parts = counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", ")
                out.line("  \(delivery.name): \(parts.isEmpty ? "nothing" : parts)"
                         + (delivery.state.disabledReason.map { " (disabled: \($0))" } ?? ""))
            }
            out.flush()
            return service.deliveries.contains { $0.state.disabledReason != nil } ? 1 : 0
        } catch {
            Commands.printError(error.message)
            return 1
        }
    }
}
