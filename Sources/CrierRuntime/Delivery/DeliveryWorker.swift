import CrierCore
import CrierPlatform
import CrierNotifiers
import CrierSources
import CrierStore
import Foundation
import Logging

/// Global blocks shared by the workers of one kind: Discord's `global: true` 429 (or a
/// Cloudflare ban) stops every Discord webhook from this host, not just the one that saw it.
final class SharedLimits: @unchecked Sendable {
    private let lock = NSLock()
    private var blocked: [NotifierConfig.Kind: Timestamp] = [:]

    func block(_ kind: NotifierConfig.Kind, until: Timestamp) {
        lock.withLock { blocked[kind] = max(blocked[kind] ?? .distantPast, until) }
    }

    func blockedUntil(_ kind: NotifierConfig.Kind) -> Timestamp? { lock.withLock { blocked[kind] } }
}

/// Delivers one notifier's outbox rows on a thread of its own (curl blocks): at most one
/// request in flight, never inside a known back-off window (configured pacing, the
/// server's learned limits, a 429's wait, a global block, the circuit breaker), retries
/// with exponential back-off and full jitter until `max_age`, dead-letters permanent errors
/// once, disables a webhook that is gone, and folds a backed-up queue (storm control).
final class DeliveryWorker: @unchecked Sendable {
    let notifier: any Notifier
    let store: StateStore
    let shared: SharedLimits
    let logger: Logger
    private let makeTransport: () -> any Transport
    private let console: OutputWriter?
    private var state: NotifierState
    private var limiter: SendRateLimiter
    /// Server answers and library errors are stored and logged only after this.
    private let scrubber: KnownSecretScrubber
    /// Back-off (tests shorten it).
    var retry = RetryPolicy()
    private let condition = NSCondition()
    private var wakeRequested = false
    private var stopRequested = false
    private var drainDeadline: Timestamp?
    private var thread: DedicatedThread?
    private var lastPrune = Timestamp.distantPast
    /// History retention: delivered and dead rows older than this are deleted. Default 7 days.
    var historyRetention: Duration = .seconds(7 * 86_400)
    /// Where attempts are counted for `/metrics` (nil: not counted).
    var telemetry: Telemetry?
    /// Called after each attempt (tests wait on it).
    var onAttempt: @Sendable (Int64, DeliveryOutcome) -> Void = { _, _ in }

    /// Replaces the breaker's settings (tests shorten them).
    func setBreaker(_ breaker: CircuitBreaker) { state.breaker = breaker }

    var currentState: NotifierState { state }

    /// Thread-safe read of the disable reason (the worker's thread writes it).
    var currentStateDisabled: String? { condition.withLock { state.disabledReason } }

    var name: String { notifier.name }
    var kind: NotifierConfig.Kind { notifier.kind }

    init(notifier: any Notifier, store: StateStore, shared: SharedLimits, logger: Logger, console: OutputWriter? = nil,
         makeTransport: @escaping () -> any Transport) throws(StoreError) {
        self.notifier = notifier
        self.store = store
        self.shared = shared
        self.logger = logger
        self.console = console
        self.makeTransport = makeTransport
        state = try store.notifierState(notifier.name) ?? NotifierState()
        state.breaker.restored()  // a probe saved in flight by a crash must not block forever
        limiter = SendRateLimiter(notifier.config.rateLimit, default: notifier.defaultLimits)
        scrubber = KnownSecretScrubber(notifier.config.secrets)
        retry.maxAge = notifier.config.maxAge
        // A disable is for the URL that failed: a corrected URL starts fresh.
        if state.disabledReason != nil && state.disabledURLHash != DeliveryWorker.urlHash(notifier.config) {
            logger.notice("\(name): webhook changed since it was disabled (\(state.disabledReason!)); delivering again")
            state.disabledReason = nil
            state.disabledURLHash = nil
            state.breaker = CircuitBreaker()
        }
    }

    static func urlHash(_ config: NotifierConfig) -> String {
        var fp = Fingerprint()
        fp.combine(config.webhookURL?.exposedValue ?? config.smtpURL?.exposedValue ?? "")
        return fp.description
    }

    // MARK: Thread

    func start() { thread = DedicatedThread.start { [self] in run() } }

    func wake() {
        condition.withLock {
            wakeRequested = true
            condition.broadcast()
        }
    }

    /// Asks the worker to stop: at once after the request in flight, or, with `drainFor`,
    /// once nothing more is due within that time (pacing and retries still apply).
    func requestStop(drainFor: Duration? = nil) {
        condition.withLock {
            if !stopRequested { drainDeadline = drainFor.map { WallClock.now() + $0 } }
            stopRequested = true
            condition.broadcast()
        }
    }

    /// Stops (see `requestStop`) and waits for the thread to end.
    func stopAndWait() {
        requestStop()
        thread?.join()
        thread = nil
    }

    private var stopping: (requested: Bool, drainUntil: Timestamp?) { condition.withLock { (stopRequested, drainDeadline) } }

    /// Sleeps until `deadline` (nil: until woken), or until new rows or a stop arrive.
    private func wait(until deadline: Timestamp?) {
        condition.lock()
        defer { condition.unlock() }
        while !wakeRequested && !stopRequested {
            if let deadline {
                let seconds = Double((deadline - WallClock.now()).microseconds) / 1e6
                if seconds <= 0 { break }
                if !condition.wait(until: Date().addingTimeInterval(seconds)) { break }
            } else {
                condition.wait()
            }
        }
        wakeRequested = false
    }

    private func run() {
        let transport = makeTransport()
        var announced = false
        while true {
            let stop = stopping
            if stop.requested && stop.drainUntil == nil { break }
            do {
                guard let next = try step(transport) else { continue }
                guard stop.requested, let until = stop.drainUntil else {
                    wait(until: next == .distantFuture ? nil : next)
                    continue
                }
                // Draining: wait for what is due before the deadline, give up on the rest.
                if next == .distantFuture || next > until { break }
                if !announced {
                    let waiting = (try? store.pendingCount(notifier: name)) ?? 0
                    logger.notice("\(name): delivering \(waiting) waiting messages before exit")
                    announced = true
                }
                sleep(until: next)
            } catch {
                logger.error("\(name): \(error)")
                if stop.requested { break }
                wait(until: WallClock.now() + .seconds(5))
            }
        }
        let left = (try? store.pendingCount(notifier: name)) ?? 0
        if left > 0 && stopping.drainUntil != nil {
            logger.notice("\(name): \(left) messages stay in the outbox for the next start")
        }
    }

    /// A plain timed wait (a stop already requested does not cut it short).
    private func sleep(until deadline: Timestamp) {
        condition.lock()
        defer { condition.unlock() }
        let seconds = Double((deadline - WallClock.now()).microseconds) / 1e6
        if seconds > 0 { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
    }

    /// One decision: deliver a row now (returns nil, loop again) or the time to wait until.
    func step(_ transport: any Transport) throws(StoreError) -> Timestamp? {
        let now = WallClock.now()
        if now - lastPrune >= .seconds(3600) {
            try store.pruneHistory(before: now - historyRetention)
            lastPrune = now
        }
        if state.disabledReason != nil { return .distantFuture }
        var pending = try store.pendingDeliveries(notifier: name)
        if pending.isEmpty { return .distantFuture }
        if pending.count > notifier.config.stormThreshold {
            let merges = StormControl.plan(pending.map { ($0.id, $0.batch) }, threshold: notifier.config.stormThreshold)
            if !merges.isEmpty {
                for merge in merges {
                    let payload = notifier.render(merge.batch)
                    try store.merge(merge.sources, into: OutboxEntry(notifier: name, kind: kind.rawValue, batch: merge.batch,
                                                                     title: BatchSummary.headline(merge.batch),
                                                                     payload: payload.body.encoded), now: now)
                }
                telemetry?.stormFold(notifier: name, sources: merges.reduce(0) { $0 + $1.sources.count }, into: merges.count)
                logger.notice("\(name): \(pending.count) messages waiting; folded into \(merges.count)")
                pending = try store.pendingDeliveries(notifier: name)
            }
        }
        for row in pending where retry.expired(createdAt: row.createdAt, now: now) {
            var attempt = StateStore.Attempt(status: "dead")
            attempt.lastError = "expired: not delivered within \(DurationParser.format(retry.maxAge))"
            attempt.countsAsAttempt = false
            try store.record(attempt, for: row.id)
            telemetry?.deliveryExpired(notifier: name)
            logger.error("\(name): message \(row.id) (\(row.batch.rule)) dead-lettered after \(DurationParser.format(retry.maxAge))")
        }
        pending.removeAll { retry.expired(createdAt: $0.createdAt, now: now) }
        guard let due = pending.first(where: { ($0.nextAttemptAt ?? now) <= now }) else {
            return pending.compactMap(\.nextAttemptAt).min() ?? .distantFuture
        }
        var gate = limiter.nextAllowed(now: now)
        if let blocked = state.blockedUntil { gate = max(gate, blocked) }
        if let global = shared.blockedUntil(kind) { gate = max(gate, global) }
        guard let breakerAt = state.breaker.allowedAt(now: now) else { return .distantFuture }
        gate = max(gate, breakerAt)
        if gate > now { return gate }
        try deliver(due, transport, now: now)
        return nil
    }

    // MARK: One attempt

    private func deliver(_ row: PendingDelivery, _ transport: any Transport, now: Timestamp) throws(StoreError) {
        var editing: String?
        if notifier.config.update == .edit, kind == .discord, row.batch.reason == .burst,
           let posted = try store.postedMessage(notifier: name, fingerprint: row.batch.fingerprint),
           posted.episodeStart == row.batch.episodeStart {
            editing = posted.id
        }
        let started = MonotonicClock.now()
        var note: String?
        var classified = attempt(row.payload, editing: editing, transport, now: now)
        if editing != nil, case .permanent(.unknownWebhook, false) = classified.outcome {
            // The message to edit is gone: post a new one.
            editing = nil
            classified = attempt(row.payload, editing: nil, transport, now: WallClock.now())
        }
        if case .permanent(.badPayload, _) = classified.outcome, let plain = notifier.plainFallback(row.batch) {
            logger.warning("\(name): message \(row.id) (\(row.batch.rule)) refused: \(classified.detail); sending it as plain text")
            let refusal = classified.detail
            editing = nil
            classified = attempt(plain, editing: nil, transport, now: WallClock.now())
            if case .delivered = classified.outcome { note = "sent as plain text: the rich form was refused (\(refusal))" }
        }
        let millis = Int(((MonotonicClock.now() - started) * 1000).rounded())
        try apply(classified, to: row, edited: editing != nil, note: note, millis: millis, now: WallClock.now())
    }

    private func attempt(_ payload: String, editing: String?, _ transport: any Transport, now: Timestamp) -> Classified {
        var c = unscrubbedAttempt(payload, editing: editing, transport, now: now)
        c.detail = scrubber.scrub(c.detail)
        return c
    }

    private func unscrubbedAttempt(_ payload: String, editing: String?, _ transport: any Transport, now: Timestamp) -> Classified {
        limiter.record(sendAt: now)
        state.breaker.willSend()
        switch notifier.request(payload: payload, editing: editing, now: now) {
        case .http(let request):
            return notifier.classify(transport.send(request), editing: editing != nil)
        case .mail(let mail):
            let result = transport.send(mail: mail)
            return (notifier as? EmailNotifier)?.classifyMail(result) ?? Classified(.delivered(messageID: nil))
        case .console(let text):
            console?.line(text)
            console?.line()
            console?.flush()
            return Classified(.delivered(messageID: nil), detail: "printed")
        }
    }

    /// `note`: kept in `last_error` of a delivered row, for what history should still show.
    private func apply(_ c: Classified, to row: PendingDelivery, edited: Bool, note: String? = nil, millis: Int,
                       now: Timestamp) throws(StoreError) {
        if let learned = c.learned {
            state.learned = learned
            if learned.remaining == 0, let reset = learned.resetAfter {
                state.blockedUntil = max(state.blockedUntil ?? .distantPast, now + reset)
            }
        }
        var attempt = StateStore.Attempt(status: "delivered")
        attempt.responseStatus = c.status
        attempt.lastError = nil
        switch c.outcome {
        case .delivered(let messageID):
            attempt.deliveredAt = now
            attempt.lastError = note
            attempt.messageID = messageID
            state.breaker.succeeded()
            state.lastSuccess = now
            if let messageID, !edited {
                try store.savePostedMessage(notifier: name, fingerprint: row.batch.fingerprint, id: messageID,
                                            episodeStart: row.batch.episodeStart, now: now)
            }
        case .retry(let reason, let after):
            state.breaker.failed(now: now)
            state.lastFailure = now
            state.lastError = c.detail
            let delay = after ?? retry.delay(afterAttempt: row.attempts, unit: Double.random(in: 0..<1))
            attempt.status = "retrying"  // DESIGN calls it failed; the issue and `crier history` say retrying
            attempt.nextAttemptAt = now + delay
            attempt.lastError = "\(reason.rawValue): \(c.detail)"
            logger.warning("\(name): \(reason.rawValue) (\(c.detail)); retry in \(DurationParser.format(delay))")
        case .rateLimited(let after, let global):
            state.blockedUntil = max(state.blockedUntil ?? .distantPast, now + after)
            if global { shared.block(kind, until: now + after) }
            attempt.status = "rate_limited"
            attempt.nextAttemptAt = now + after
            attempt.lastError = "rate_limited: \(c.detail)"
            state.breaker.succeeded()  // the server answered: not a failure of the webhook
        case .permanent(let reason, let disables):
            attempt.status = "dead"
            attempt.lastError = "\(reason.rawValue): \(c.detail)"
            state.lastFailure = now
            state.lastError = c.detail
            if disables {
                condition.withLock {
                    state.disabledReason = "\(reason.rawValue): \(c.detail)"
                    state.disabledURLHash = DeliveryWorker.urlHash(notifier.config)
                }
                let waiting = (try? store.pendingCount(notifier: name)) ?? 0
                logger.error("\(name): the webhook answered \(c.detail); NOTIFIER DISABLED. \(max(0, waiting - 1)) messages wait in the outbox until its URL is fixed")
            } else {
                logger.error("\(name): message \(row.id) (\(row.batch.rule)) refused for good: \(c.detail)")
            }
        }
        attempt.responseMillis = millis
        telemetry?.deliveryAttempt(notifier: name, outcome: c.outcome, duration: .milliseconds(millis))
        try store.record(attempt, for: row.id)
        try store.saveNotifierState(name, kind: kind.rawValue, state, now: now)
        onAttempt(row.id, c.outcome)
    }
}
