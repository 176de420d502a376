import CrierCore
import CrierNotifiers
import CrierStore

/// What `crier status` prints and `/api/v1/status` returns: per notifier, the queue, the
/// breaker, a back-off in progress, a disable, the configured and learned limits. Built from
/// the state database only, so it is the same whether crier runs or not. Error texts were
/// scrubbed of credentials before they were stored; URLs are never part of it.
struct StatusReport {
    struct NotifierStatus {
        var name: String
        var kind: String
        var waiting: Int
        var state: NotifierState
        var limits: [SendRateLimiter.Window]
    }

    var database: String
    /// Rows per outbox state, over all notifiers.
    var outbox: [OutboxStatus: Int]
    var notifiers: [NotifierStatus]
    var now: Timestamp

    init(config: ResolvedConfig, store: StateStore, now: Timestamp) throws(StoreError) {
        let states = Dictionary(try store.allNotifierStates().map { ($0.notifier, $0.state) }, uniquingKeysWith: { a, _ in a })
        database = store.path
        outbox = try store.outboxCounts()
        notifiers = []
        self.now = now
        for config in config.notifiers {
            let limiter = SendRateLimiter(config.rateLimit, default: Notifiers.make(config).defaultLimits)
            notifiers.append(NotifierStatus(name: config.name, kind: config.kind.rawValue,
                                            waiting: try store.waitingCount(notifier: config.name),
                                            state: states[config.name] ?? NotifierState(), limits: limiter.windows))
        }
    }

    /// `crier status`.
    var lines: [String] {
        let counts = outbox.map { ($0.key.rawValue, $0.value) }.sorted { $0.0 < $1.0 }
        var out = ["state \(database): outbox " + counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")]
        for n in notifiers {
            let s = n.state
            var line = "  \(n.name) (\(n.kind)): \(n.waiting) waiting, breaker \(s.breaker.label)"
            if let until = s.blockedUntil, until > now { line += ", paused \(HumanFormat.duration(until - now)) more" }
            if let reason = s.disabledReason { line += ", DISABLED until its URL is changed (\(reason))" }
            out.append(line)
            let limits = n.limits.map { "\($0.count) per \(DurationParser.format($0.length))" }
            out.append("    limits: \(limits.isEmpty ? "none configured" : limits.joined(separator: ", "))"
                       + (s.learned.map { l in
                           "; learned: remaining \(l.remaining.map(String.init) ?? "?")"
                               + (l.limit.map { " of \($0)" } ?? "")
                               + (l.resetAfter.map { ", reset after \(DurationParser.format($0))" } ?? "")
                               + (l.bucket.map { ", bucket \($0)" } ?? "")
                       } ?? ""))
            if let last = s.lastSuccess { out.append("    last delivered \(last.shortUTC) UTC") }
            if let error = s.lastError { out.append("    last error: \(error)") }
        }
        return out
    }

    /// `/api/v1/status`.
    var json: JSONValue {
        func time(_ t: Timestamp?) -> JSONValue { t.map { .string($0.iso8601) } ?? .null }
        var outboxJSON = JSONObject()
        for (status, n) in outbox.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { outboxJSON[status.rawValue] = .int(Int64(n)) }
        let list: [JSONValue] = notifiers.map { n in
            let s = n.state
            var o = JSONObject()
            o["name"] = .string(n.name)
            o["type"] = .string(n.kind)
            o["waiting"] = .int(Int64(n.waiting))
            o["breaker"] = .string(s.breaker.label)
            o["paused_until"] = time(s.blockedUntil.flatMap { $0 > now ? $0 : nil })
            o["disabled"] = s.disabledReason.map { .string($0) } ?? .null
            o["limits"] = .array(n.limits.map { .object(["count": .int(Int64($0.count)), "per_seconds": .double(Double($0.length.microseconds) / 1e6)]) })
            if let l = s.learned {
                var learned = JSONObject()
                learned["remaining"] = l.remaining.map { .int(Int64($0)) } ?? .null
                learned["limit"] = l.limit.map { .int(Int64($0)) } ?? .null
                learned["reset_after_seconds"] = l.resetAfter.map { .double(Double($0.microseconds) / 1e6) } ?? .null
                learned["bucket"] = l.bucket.map { .string($0) } ?? .null
                o["learned"] = .object(learned)
            } else {
                o["learned"] = .null
            }
            o["last_success"] = time(s.lastSuccess)
            o["last_failure"] = time(s.lastFailure)
            o["last_error"] = s.lastError.map { .string($0) } ?? .null
            return .object(o)
        }
        return .object(["database": .string(database), "outbox": .object(outboxJSON), "notifiers": .array(list)])
    }
}

extension HistoryRow {
    /// One row of `/api/v1/history`.
    var json: JSONValue {
        var o = JSONObject()
        o["id"] = .int(id)
        o["notifier"] = .string(notifier)
        o["status"] = .string(statusText)
        o["rule"] = .string(rule)
        o["severity"] = .string(severity)
        o["reason"] = .string(reason)
        o["count"] = .int(Int64(count))
        o["title"] = .string(title)
        o["attempts"] = .int(Int64(attempts))
        o["created_at"] = .string(createdAt.iso8601)
        o["delivered_at"] = deliveredAt.map { .string($0.iso8601) } ?? .null
        o["response_status"] = responseStatus.map { .int(Int64($0)) } ?? .null
        o["response_ms"] = responseMillis.map { .int(Int64($0)) } ?? .null
        o["last_error"] = lastError.map { .string($0) } ?? .null
        return .object(o)
    }
}
