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
            changes.outbox = messages.map { m in
                OutboxEntry(notifier: m.notifier, kind: m.kind.rawValue, batch: m.batch, title: BatchSummary.headline(m.batch),
                            payload: m.payload.body.encoded)
            }
            try store.commit(changes)
            let service = try DeliveryService(loaded: loaded, store: store, wakeup: DeliveryWakeup(), logger: logger)
            let progress = NSCondition()
            for worker in service.workers {
                worker.onAttempt = { _, _ in progress.withLock { progress.broadcast() } }
                worker.start()
            }
            defer { for worker in service.workers { worker.stopAndWait() } }
            while true {
                let waiting = try service.workers.filter { $0.currentStateDisabled == nil }
                    .reduce(0) { $0 + (try store.pendingCount(notifier: $1.name)) }
                if waiting == 0 { break }
                progress.lock()
                _ = progress.wait(until: Date().addingTimeInterval(1))
                progress.unlock()
            }
            let out = OutputWriter()
            out.line("sent \(messages.count) messages:")
            for worker in service.workers {
                let rows = try store.history(notifier: worker.name, limit: 1_000_000)
                let counts = Dictionary(grouping: rows, by: \.status).mapValues(\.count)
                let parts = counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", ")
                out.line("  \(worker.name): \(parts.isEmpty ? "nothing" : parts)"
                         + (worker.currentStateDisabled.map { " (disabled: \($0))" } ?? ""))
            }
            out.flush()
            return service.workers.contains { $0.currentStateDisabled != nil } ? 1 : 0
        } catch let error as StoreError {
            Commands.printError(error.message)
            return 1
        } catch {
            Commands.printError("\(error)")
            return 1
        }
    }
}
