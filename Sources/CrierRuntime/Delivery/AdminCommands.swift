import CrierCore
import CrierPlatform
import CrierNotifiers
import CrierStore
import Foundation
import Logging

/// `crier send-test`, `status`, `history`, `stats`: read (or, for send-test, use) the state
/// database of the configured `state_dir`. Nothing printed contains a webhook URL.
extension Commands {
    /// The state database of `stateDirectory` (else the configured one); with `create: false`
    /// one that does not exist yet is an error. A permission problem is said as one.
    static func openStore(_ loaded: LoadedConfig, stateDirectory: String? = nil, create: Bool = true) -> StateStore? {
        let directory = stateDirectory ?? LiveRuntime.stateDirectory(loaded.config, environment: ProcessInfo.processInfo.environment)
        if let problem = StateStore.accessProblem(directory: directory) {
            printError(problem.message)
            return nil
        }
        if !create && !FileManager.default.fileExists(atPath: "\(directory)/crier.db") {
            printError("no state database in \(directory) yet (it is created by `crier run`)")
            return nil
        }
        do { return try StateStore(directory: directory) } catch {
            printError(error.message)
            return nil
        }
    }

    /// Sends one test alert through the real path (outbox, worker, transport) of each chosen
    /// notifier and prints what happened.
    public static func sendTest(configPath: String?, notifier: String?) -> Int32 {
        guard let loaded = loadOrReport(configPath), let store = openStore(loaded) else { return 1 }
        let chosen = loaded.config.notifiers.filter { notifier == nil || $0.name == notifier }
        if chosen.isEmpty {
            printError("no notifier is named '\(notifier ?? "")' (notifiers: \(loaded.config.notifiers.map(\.name).joined(separator: ", ")))")
            return 2
        }
        var logger = Logger(label: "crier")
        logger.logLevel = .critical
        let now = WallClock.now()
        var failures = 0
        let out = OutputWriter()
        for config in chosen {
            let n = Notifiers.make(config)
            var fp = Fingerprint()
            fp.combine("crier.test.\(now.microseconds)")
            let alert = Alert(rule: "crier.test", severity: .info, title: "crier test message",
                              body: "If you can read this, crier can deliver to \(config.name).",
                              fields: [AlertField("Notifier", config.name), AlertField("Sent", now.shortUTC + " UTC")],
                              fingerprint: fp, timestamp: now, host: ProcessInfo.processInfo.hostName)
            let batch = AlertBatch(fingerprint: fp, rule: "crier.test", severity: .info, labels: [], reason: .first,
                                   alerts: [alert], count: 1, firstSeen: now, lastSeen: now, decidedAt: now,
                                   episodeCount: 1, episodeStart: now)
            do {
                var changes = StateStore.Changes(now: now)
                changes.outbox = [OutboxEntry(notifier: config.name, notifierKind: config.kind, kind: .test, batch: batch,
                                              payload: n.render(batch).body.encoded)]
                let id = try store.commit(changes)[0]
                let (result, disabled) = try deliverOne(id, notifier: n, store: store, logger: logger)
                let ms = result?.responseMillis.map { " in \($0) ms" } ?? ""
                if let result, result.status == .delivered {
                    out.line("\(config.name) (\(config.kind.rawValue)): delivered\(ms)")
                } else if let result {
                    failures += 1
                    out.line("\(config.name) (\(config.kind.rawValue)): \(result.statusText)\(ms): \(result.lastError ?? "")")
                } else {
                    failures += 1
                    out.line("\(config.name): no answer")
                }
                if disabled {
                    out.line("  \(config.name) is disabled until its webhook_url is changed; new alerts for it wait in the outbox")
                }
            } catch {
                failures += 1
                out.line("\(config.name): \(error)")
            }
        }
        out.flush()
        return failures == 0 ? 0 : 1
    }

    /// Delivers the notifier's outbox (older rows first: FIFO) until row `id` has an answer,
    /// the notifier is disabled, or the next attempt is more than 30 s away.
    static func deliverOne(_ id: Int64, notifier: any Notifier, store: StateStore,
                           logger: Logger) throws(StoreError) -> (result: HistoryRow?, disabled: Bool) {
        let (progress, signal) = AsyncStream<NotifierDelivery.Progress>.makeStream()
        let config = notifier.config
        let delivery = try NotifierDelivery(notifier: notifier, store: store, shared: SharedLimits(), clock: LiveDeliveryClock(),
                                            logger: logger, makeTransport: { Transports.make(config) },
                                            progress: { signal.yield($0) })
        @Sendable func answer() -> HistoryRow? { (try? store.history(notifier: notifier.name, limit: 1_000))?.first { $0.id == id } }
        BlockingTask.run {
            await withDiscardingTaskGroup { group in
                group.addTask { try? await delivery.run() }
                for await event in progress {
                    if let row = answer(), row.status != .pending { break }
                    if delivery.state.disabledReason != nil { break }
                    if case .waiting(let until) = event, until.map({ $0 - WallClock.now() > .seconds(30) }) ?? true { break }
                }
                delivery.requestStop(.now)
            }
        }
        return (answer(), delivery.state.disabledReason != nil)
    }

    /// Queue depth, breaker, blocks and learned limits per notifier.
    public static func status(configPath: String?, stateDirectory: String? = nil) -> Int32 {
        guard let loaded = loadOrReport(configPath),
              let store = openStore(loaded, stateDirectory: stateDirectory, create: false) else { return 1 }
        let out = OutputWriter()
        do {
            for line in try StatusReport(config: loaded.config, store: store, now: WallClock.now()).lines { out.line(line) }
        } catch {
            out.flush()
            printError("\(error)")
            return 1
        }
        out.flush()
        return 0
    }

    public static func history(configPath: String?, stateDirectory: String? = nil, notifier: String?, status: String?,
                               since: Duration?, limit: Int) -> Int32 {
        var wanted: OutboxStatus?
        if let status {
            guard let known = OutboxStatus(rawValue: status) else {
                printError("--status must be one of \(OutboxStatus.allCases.map(\.rawValue).joined(separator: ", ")), not '\(status)'")
                return 2
            }
            wanted = known
        }
        guard let loaded = loadOrReport(configPath),
              let store = openStore(loaded, stateDirectory: stateDirectory, create: false) else { return 1 }
        let out = OutputWriter()
        do {
            let rows = try store.history(notifier: notifier, status: wanted, since: since.map { WallClock.now() - $0 }, limit: limit)
            for r in rows.reversed() {
                var line = "\(r.createdAt.shortUTC)  #\(r.id)  \(r.notifier)  \(r.statusText)"
                if r.attempts > 1 { line += " after \(r.attempts) attempts" }
                if let code = r.responseStatus { line += " (HTTP \(code)" + (r.responseMillis.map { ", \($0) ms" } ?? "") + ")" }
                line += "  \(r.reason) ×\(HumanFormat.count(r.count))  \(r.rule)  \(r.title)"
                // Titles quote log text and errors quote servers: controls are shown, not run.
                out.line(VisibleControls.escape(line))
                if let error = r.lastError { out.line("      " + VisibleControls.escape(error)) }
            }
            if rows.isEmpty { out.line("no deliveries match") }
        } catch {
            printError("\(error)")
            return 1
        }
        out.flush()
        return 0
    }

    public static func stats(configPath: String?, stateDirectory: String? = nil, since: Duration?) -> Int32 {
        guard let loaded = loadOrReport(configPath),
              let store = openStore(loaded, stateDirectory: stateDirectory, create: false) else { return 1 }
        let out = OutputWriter()
        do {
            let s = try store.deliveryStats(since: since.map { WallClock.now() - $0 })
            out.line("deliveries" + (since.map { " in the last \(HumanFormat.duration($0))" } ?? "") + ":")
            for notifier in s.byNotifier.keys.sorted() {
                let counts = s.byNotifier[notifier]!
                let delivered = counts[.delivered] ?? 0, dead = counts[.dead] ?? 0
                let finished = delivered + dead
                let rate = finished == 0 ? "-" : String(format: "%.1f%%", Double(delivered) * 100 / Double(finished))
                let times = s.responseMillis[notifier] ?? []
                func p(_ q: Double) -> String { times.isEmpty ? "-" : "\(times[min(times.count - 1, Int(Double(times.count) * q))]) ms" }
                out.line("  \(notifier): success \(rate), p50 \(p(0.5)), p95 \(p(0.95)); "
                         + counts.keys.map(\.rawValue).sorted().map { "\($0) \(counts[OutboxStatus(rawValue: $0)!]!)" }
                             .joined(separator: ", "))
            }
            out.line("occurrences by rule:")
            for (rule, n) in s.byRule.sorted(by: { $0.value > $1.value }) { out.line("  \(rule.padding(32)) \(HumanFormat.count(n))") }
            out.line("occurrences by severity:")
            for severity in Severity.allCases.reversed() { if let n = s.bySeverity[severity.rawValue] { out.line("  \(severity.rawValue.padding(10)) \(HumanFormat.count(n))") } }
        } catch {
            printError("\(error)")
            return 1
        }
        out.flush()
        return 0
    }
}
