import CrierCore
import CrierPlatform
import CrierNotifiers
import CrierStore
import Foundation
import Logging

/// `crier send-test`, `status`, `history`, `stats`: read (or, for send-test, use) the state
/// database of the configured `state_dir`. Nothing printed contains a webhook URL.
extension Commands {
    static func openStore(_ loaded: LoadedConfig, create: Bool = true) -> StateStore? {
        let directory = LiveRuntime.stateDirectory(loaded.config, environment: ProcessInfo.processInfo.environment)
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
                changes.outbox = [OutboxEntry(notifier: config.name, kind: config.kind.rawValue, batch: batch,
                                              title: alert.title, payload: n.render(batch).body.encoded)]
                let id = try store.commit(changes)[0]
                let worker = try DeliveryWorker(notifier: n, store: store, shared: SharedLimits(), logger: logger,
                                                console: config.kind == .console ? out : nil) { CurlTransport(caBundle: config.caBundle) }
                let transport: any Transport = CurlTransport(caBundle: config.caBundle)
                // Older rows of this notifier go first (FIFO): step until the test row has an answer.
                var result: HistoryRow?
                for _ in 0..<1_000 {
                    if let wait = try worker.step(transport), wait != .distantFuture, wait > WallClock.now() {
                        let micros = (wait - WallClock.now()).microseconds
                        if micros > 30_000_000 { break }
                        usleep(UInt32(max(0, micros)))
                    }
                    result = try store.history(notifier: config.name, limit: 1_000).first { $0.id == id }
                    if let r = result, r.status != "pending" { break }
                    if worker.currentStateDisabled != nil { break }
                }
                let row = result
                let ms = row?.responseMillis.map { " in \($0) ms" } ?? ""
                switch row?.status {
                case "delivered": out.line("\(config.name) (\(config.kind.rawValue)): delivered\(ms)")
                case let status?:
                    failures += 1
                    out.line("\(config.name) (\(config.kind.rawValue)): \(status)\(ms): \(row?.lastError ?? "")")
                case nil:
                    failures += 1
                    out.line("\(config.name): no answer")
                }
                if worker.currentStateDisabled != nil {
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

    /// Queue depth, breaker, blocks and learned limits per notifier.
    public static func status(configPath: String?) -> Int32 {
        guard let loaded = loadOrReport(configPath), let store = openStore(loaded, create: false) else { return 1 }
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

    public static func history(configPath: String?, notifier: String?, status: String?, since: Duration?, limit: Int) -> Int32 {
        guard let loaded = loadOrReport(configPath), let store = openStore(loaded, create: false) else { return 1 }
        let out = OutputWriter()
        do {
            let rows = try store.history(notifier: notifier, status: status, since: since.map { WallClock.now() - $0 }, limit: limit)
            for r in rows.reversed() {
                var line = "\(r.createdAt.shortUTC)  #\(r.id)  \(r.notifier)  \(r.status)"
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

    public static func stats(configPath: String?, since: Duration?) -> Int32 {
        guard let loaded = loadOrReport(configPath), let store = openStore(loaded, create: false) else { return 1 }
        let out = OutputWriter()
        do {
            let s = try store.deliveryStats(since: since.map { WallClock.now() - $0 })
            out.line("deliveries" + (since.map { " in the last \(HumanFormat.duration($0))" } ?? "") + ":")
            for notifier in s.byNotifier.keys.sorted() {
                let counts = s.byNotifier[notifier]!
                let delivered = counts["delivered"] ?? 0, dead = counts["dead"] ?? 0
                let finished = delivered + dead
                let rate = finished == 0 ? "-" : String(format: "%.1f%%", Double(delivered) * 100 / Double(finished))
                let times = s.responseMillis[notifier] ?? []
                func p(_ q: Double) -> String { times.isEmpty ? "-" : "\(times[min(times.count - 1, Int(Double(times.count) * q))]) ms" }
                out.line("  \(notifier): success \(rate), p50 \(p(0.5)), p95 \(p(0.95)); "
                         + counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", "))
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
