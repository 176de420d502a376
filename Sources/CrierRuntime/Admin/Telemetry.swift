public import CrierCore
public import CrierNotifiers
public import CrierStore
public import Prometheus

/// crier's metrics, served at `/metrics` in the Prometheus text format.
///
/// Label values are names from the configuration (rules, notifiers) and named reasons
/// (`FailureReason`, `BatchReason`, outbox states), never text from logs or servers: label
/// sets stay bounded, and neither a webhook URL nor a server's error text can reach them
/// (DESIGN §5, §6).
///
/// Counters are pushed where things happen (the pipeline after each chunk, a notifier's
/// delivery after each attempt); queue depth, breaker and disable state are read from the
/// state database when scraped, so they are right even for rows an earlier run left.
public final class Telemetry: Sendable {
    public let registry = PrometheusCollectorRegistry()

    public init() {}

    // MARK: Descriptors

    static func name(_ metric: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "crier", metricName: metric, unitName: unit, helpText: help)
    }

    func counter(_ metric: String, unit: String = "total", labels: [(String, String)] = [], _ help: String) -> Counter {
        registry.makeCounter(descriptor: Telemetry.name(metric, unit: unit, help), labels: labels)
    }

    func gauge(_ metric: String, unit: String = "", labels: [(String, String)] = [], _ help: String) -> Gauge {
        registry.makeGauge(descriptor: Telemetry.name(metric, unit: unit, help), labels: labels)
    }

    // MARK: Delivery

    /// Response times of webhook and SMTP requests: a webhook answers in 50-500 ms, a slow
    /// one in seconds, and 10 s is the default total timeout.
    static let deliveryBuckets: [Duration] = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map { .milliseconds(Int64($0 * 1000)) }

    /// One attempt of a notifier's delivery: `result` is delivered, retry, rate_limited or dead;
    /// `reason` a `FailureReason` (or `none`).
    func deliveryAttempt(notifier: String, outcome: DeliveryOutcome, duration: Duration?) {
        let (result, reason): (String, String) = switch outcome {
        case .delivered: ("delivered", "none")
        case .retry(let reason, _): ("retry", reason.rawValue)
        case .rateLimited: ("rate_limited", FailureReason.rateLimited.rawValue)
        case .permanent(let reason, _): ("dead", reason.rawValue)
        }
        counter("delivery_attempts", labels: [("notifier", notifier), ("result", result), ("reason", reason)],
                "Delivery attempts per notifier, by result (delivered, retry, rate_limited, dead) and failure reason.")
            .increment()
        if let duration {
            registry.makeDurationHistogram(
                descriptor: Telemetry.name("delivery_duration", unit: "seconds", "Time from request to answer, per notifier."),
                labels: [("notifier", notifier)], buckets: Telemetry.deliveryBuckets
            ).record(duration)
        }
    }

    /// A row dead-lettered without an attempt (it waited longer than `max_age`).
    func deliveryExpired(notifier: String) {
        deliveryAttempt(notifier: notifier, outcome: .permanent(.expired, disablesNotifier: false), duration: nil)
    }

    /// Storm control folded `sources` waiting messages into `into`.
    func stormFold(notifier: String, sources: Int, into: Int) {
        counter("storm_folded_messages", labels: [("notifier", notifier)],
                "Waiting messages folded into summaries by storm control.").increment(by: Int64(sources - into))
    }

    // MARK: Scrape


    /// Sets the gauges read from the state database, then renders every metric.
    public func scrape(store: StateStore?, notifiers: [NotifierConfig], now: Timestamp) -> [UInt8] {
        if let store {
            let counts = (try? store.outboxCountsByNotifier()) ?? [:]
            let states = Dictionary(((try? store.allNotifierStates()) ?? []).map { ($0.notifier, $0.state) },
                                    uniquingKeysWith: { a, _ in a })
            for config in notifiers {
                // Every state, so a drained queue reads 0.
                for status in OutboxStatus.allCases {
                    gauge("outbox_messages", labels: [("notifier", config.name), ("status", status.rawValue)],
                          "Outbox rows per notifier and state (delivered and dead rows are kept for the history retention).")
                        .set(Int64(counts[config.name]?[status] ?? 0))
                }
                let state = states[config.name] ?? NotifierState()
                let breaker: Int64 = switch state.breaker.state {
                case .closed: 0
                case .halfOpen: 1
                case .open: 2
                }
                gauge("notifier_breaker_state", labels: [("notifier", config.name)],
                      "Circuit breaker per notifier: 0 closed, 1 half-open, 2 open.").set(breaker)
                gauge("notifier_disabled", labels: [("notifier", config.name)],
                      "1 when the webhook answered 401/403/404/410 and the notifier waits for a corrected URL.")
                    .set(Int64(state.disabledReason == nil ? 0 : 1))
                let paused = state.blockedUntil.map { max(.zero, $0 - now) } ?? .zero
                gauge("notifier_backoff", unit: "seconds", labels: [("notifier", config.name)],
                      "Time left in a back-off window the server asked for (429, exhausted rate limit).")
                    .set(Double(paused.microseconds) / 1e6)
                if let last = state.lastSuccess {
                    gauge("notifier_last_success", unit: "timestamp_seconds", labels: [("notifier", config.name)],
                          "Wall time of the last delivered message per notifier.").set(Double(last.microseconds) / 1e6)
                }
            }
        }
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }
}

/// The pipeline's counters, moved into the registry after each chunk as differences from
/// the last report (the match stage counts in plain integers on its hot path).
final class PipelineMetrics {
    private let telemetry: Telemetry
    private let records, matched, invalidUTF8, tracebacks, malformed, unrouted, silenced, commitFailures: Counter
    private let ruleHits, regexLimits: [Counter]
    private let lastCommit: Gauge
    private var last: MatchStats?
    private var lastMalformed = 0
    private var lastStats = PipelineStats()

    init(telemetry: Telemetry, rules: [CompiledRule]) {
        self.telemetry = telemetry
        records = telemetry.counter("records", "Records read from every source (a folded traceback is part of its record).")
        matched = telemetry.counter("records_matched", "Records that matched at least one rule.")
        invalidUTF8 = telemetry.counter("records_invalid_utf8", "Matched records whose bytes were not valid UTF-8 (decoded lossily).")
        tracebacks = telemetry.counter("tracebacks", "Python tracebacks folded into the record that owns them.")
        malformed = telemetry.counter("malformed_lines", "JSON lines that did not parse (matched as text).")
        unrouted = telemetry.counter("batches_unrouted", "Alert batches that no route sent anywhere.")
        silenced = telemetry.counter("batches_silenced", "Batches of records older than max_age: state updated, nothing sent.")
        commitFailures = telemetry.counter("state_commit_failures", "Failed writes of the state database (retried; nothing is acknowledged).")
        ruleHits = rules.map { telemetry.counter("rule_matches", labels: [("rule", $0.id)], "Matches per rule.") }
        regexLimits = rules.map {
            telemetry.counter("regex_limit_hits", labels: [("rule", $0.id)], "Matches abandoned at PCRE2's match limit, per rule.")
        }
        lastCommit = telemetry.gauge("state_last_commit", unit: "timestamp_seconds", "Wall time of the last state commit.")
    }

    /// Adds what happened since the last call.
    func report(_ stats: MatchStats, malformed malformedNow: Int, pipeline: PipelineStats) {
        let before = last ?? MatchStats(ruleCount: stats.ruleHits.count)
        records.increment(by: Int64(stats.records - before.records))
        matched.increment(by: Int64(stats.matched - before.matched))
        invalidUTF8.increment(by: Int64(stats.invalidUTF8 - before.invalidUTF8))
        tracebacks.increment(by: Int64(stats.tracebacks - before.tracebacks))
        for i in stats.ruleHits.indices where i < ruleHits.count {
            if stats.ruleHits[i] != before.ruleHits[i] { ruleHits[i].increment(by: Int64(stats.ruleHits[i] - before.ruleHits[i])) }
            if stats.regexLimitHits[i] != before.regexLimitHits[i] {
                regexLimits[i].increment(by: Int64(stats.regexLimitHits[i] - before.regexLimitHits[i]))
            }
        }
        malformed.increment(by: Int64(malformedNow - lastMalformed))
        unrouted.increment(by: Int64(pipeline.unroutedBatches - lastStats.unroutedBatches))
        silenced.increment(by: Int64(pipeline.silencedBatches - lastStats.silencedBatches))
        last = stats
        lastMalformed = malformedNow
        lastStats = pipeline
    }

    /// One message queued in the outbox.
    func message(notifier: String, reason: BatchReason) {
        telemetry.counter("messages", labels: [("notifier", notifier), ("reason", reason.rawValue)],
                          "Messages queued per notifier and reason (first, burst, repeat, resolved, stuck, absent, digest).")
            .increment()
    }

    func committed(at now: Timestamp) { lastCommit.set(Double(now.microseconds) / 1e6) }

    func commitFailed() { commitFailures.increment() }
}
