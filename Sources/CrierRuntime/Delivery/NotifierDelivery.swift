import CrierCore
import CrierNotifiers
import CrierPlatform
import CrierStore
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers one notifier's outbox rows: reads the head of its outbox, asks
/// `DeliveryPlanner` what to do, does it (prune, dead-letter, fold, send) and waits on the
/// clock until the next thing is due or its doorbell rings (new rows, a stop). At most one
/// request is in flight, on the transport's own thread. The loop's state lives in `run()`;
/// other threads see a copy (`state`), under a mutex.
final class NotifierDelivery: Service, Sendable {
    /// What a caller that waits on delivery (`send-test`, `replay --send`) hears.
    enum Progress: Sendable {
        case attempted(rowID: Int64, outcome: DeliveryOutcome)
        /// Nothing is due before this (nil: until new rows come, or never: disabled).
        case waiting(until: Timestamp?)
    }

    let notifier: any Notifier
    let store: StateStore
    let shared: SharedLimits
    let clock: any DeliveryClock
    let policy: DeliveryPolicy
    let logger: Logger
    let telemetry: Telemetry?
    /// Rung when rows are written or a stop is asked for.
    let bell = Doorbell()
    private let transport: TransportThread
    private let scrubber: KnownSecretScrubber
    private let urlHash: String
    private let inputEnded: @Sendable () -> Bool
    private let progress: @Sendable (Progress) -> Void
    private let jitter: @Sendable () -> Double
    private let stopRequest = Mutex<StopRequest?>(nil)
    private let published: Mutex<NotifierState>

    var name: String { notifier.name }
    var kind: NotifierConfig.Kind { notifier.kind }

    /// - Parameters:
    ///   - makeTransport: called once, on the transport's thread.
    ///   - inputEnded: at shutdown, true when the input ended (piped stdin): then what waits is
    ///     delivered first, for up to `drainOnInputEnd`.
    ///   - jitter: a random number in 0..<1 for each back-off (tests fix it).
    init(notifier: any Notifier, store: StateStore, shared: SharedLimits, clock: any DeliveryClock, logger: Logger,
         telemetry: Telemetry? = nil, policy: DeliveryPolicy? = nil,
         makeTransport: @escaping @Sendable () -> any Transport,
         inputEnded: @escaping @Sendable () -> Bool = { false },
         progress: @escaping @Sendable (Progress) -> Void = { _ in },
         jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) throws(StoreError) {
        self.notifier = notifier
        self.store = store
        self.shared = shared
        self.clock = clock
        self.logger = logger
        self.telemetry = telemetry
        self.policy = policy ?? NotifierDelivery.policy(for: notifier)
        self.inputEnded = inputEnded
        self.progress = progress
        self.jitter = jitter
        scrubber = KnownSecretScrubber(notifier.config.secrets)
        urlHash = NotifierDelivery.urlHash(notifier.config)
        transport = TransportThread(makeTransport)
        let (state, lifted) = (try store.notifierState(notifier.name) ?? NotifierState()).restored(urlHash: urlHash)
        published = Mutex(state)
        if let lifted { log(.reenabled(previousReason: lifted)) }
    }

    /// The configuration's settings and the notifier's capabilities.
    static func policy(for notifier: any Notifier) -> DeliveryPolicy {
        var policy = DeliveryPolicy()
        policy.stormThreshold = notifier.config.stormThreshold
        policy.retry.maxAge = notifier.config.maxAge
        policy.editsInPlace = notifier.editsInPlace
        return policy
    }

    /// What a disable is tied to: the configured destination (a new one lifts it).
    static func urlHash(_ config: NotifierConfig) -> String {
        var fp = Fingerprint()
        fp.combine(config.webhookURL?.exposedValue ?? config.smtpURL?.exposedValue ?? "")
        return fp.description
    }

    /// How long an ended input waits for its messages to go out.
    static let drainOnInputEnd = Duration.seconds(60)

    /// The notifier's state as of its last attempt (readable from any thread).
    var state: NotifierState { published.withLock { $0 } }

    func wake() { bell.ring() }

    /// Stops at once after the request in flight (`.now`), or once nothing more is due
    /// before the drain deadline. The first request wins.
    func requestStop(_ stop: StopRequest) {
        stopRequest.withLock { if $0 == nil { $0 = stop } }
        bell.ring()
    }

    // MARK: Service

    func run() async throws {
        await withGracefulShutdownHandler {
            await loop()
        } onGracefulShutdown: { [self] in
            // On SIGTERM a network notifier only finishes its request in flight: the rest
            // waits in the outbox for the next start, and a stop stays quick.
            let drain = inputEnded() ? NotifierDelivery.drainOnInputEnd : notifier.drainOnStop
            requestStop(drain.map { .drain(until: clock.now() + $0) } ?? .now)
        }
        await transport.close()
    }

    /// The loop's own state: nobody else touches it.
    private struct Local {
        var state: NotifierState
        var limiter: SendRateLimiter
        var lastPrune = Timestamp.distantPast
        var announcedDrain = false
    }

    private func loop() async {
        var local = Local(state: state, limiter: SendRateLimiter(notifier.config.rateLimit, default: notifier.defaultLimits))
        while true {
            let now = clock.now()
            let stop = stopRequest.withLock { $0 }
            do {
                let head = try store.outboxHead(notifier: name)
                let action = DeliveryPlanner.next(head: head.rows, unreadable: head.unreadable, limiter: local.limiter,
                                                  state: local.state, globalBlock: shared.blockedUntil(kind), policy: policy,
                                                  lastPrune: local.lastPrune, stop: stop, now: now)
                switch action {
                case .finish:
                    let left = (try? store.waitingCount(notifier: name)) ?? 0
                    if left > 0, case .drain = stop { logger.notice("\(name): \(left) messages stay in the outbox for the next start") }
                    return
                case .pruneHistory(let before):
                    try store.pruneHistory(before: before)
                    local.lastPrune = now
                case .bury(let rows):
                    for row in rows {
                        let (update, event) = DeliveryPlanner.burial(of: row)
                        try store.update(row.id, update)
                        log(event)
                    }
                case .fold(let merges):
                    try fold(merges, waiting: head.rows.count, now: now)
                case .expire(let rows):
                    for row in rows {
                        let (update, event) = DeliveryPlanner.expiry(of: row, policy: policy)
                        try store.update(row.id, update)
                        log(event)
                    }
                case .send(let plan):
                    try await deliver(plan, row: head.rows.first { $0.id == plan.rowID }!, local: &local)
                case .wait(let until):
                    if case .drain = stop, !local.announcedDrain {
                        logger.notice("\(name): delivering \(head.rows.count) waiting messages before exit")
                        local.announcedDrain = true
                    }
                    progress(.waiting(until: until))
                    await clock.sleep(until: until, bell: bell)
                case .idle, .disabled:
                    progress(.waiting(until: nil))
                    await clock.sleep(until: nil, bell: bell)
                }
            } catch {
                logger.error("\(name): \(error)")
                if stop != nil { return }
                await clock.sleep(until: now + .seconds(5), bell: bell)
            }
        }
    }

    private func fold(_ merges: [StormControl.Merge], waiting: Int, now: Timestamp) throws(StoreError) {
        for merge in merges {
            let entry = OutboxEntry(notifier: name, notifierKind: kind, kind: merge.kind, batch: merge.batch,
                                    members: merge.members, payload: notifier.render(merge.batch).body.encoded)
            try store.fold(merge.sources, into: entry, now: now)
        }
        log(.folded(waiting: waiting, sources: merges.reduce(0) { $0 + $1.sources.count }, into: merges.count))
    }

    // MARK: One attempt

    /// Sends `plan` and what follows from its answers (a message to edit that is gone, a
    /// refused rich payload), then settles the row with the last answer.
    private func deliver(_ first: SendPlan, row: PendingDelivery, local: inout Local) async throws(StoreError) {
        let started = MonotonicClock.now()
        var plan = first
        var now = clock.now()
        var answer: Classified
        while true {
            local.limiter.record(sendAt: now)
            local.state.breaker.willSend()
            let payload = switch plan.form {
            case .rich: row.payload
            case .plain: notifier.plainFallback(row.batch) ?? row.payload
            }
            let result = await transport.send(notifier.request(payload: payload, editing: plan.editing, now: now))
            answer = notifier.classify(result, editing: plan.editing != nil)
            answer.detail = scrubber.scrub(answer.detail)
            now = clock.now()
            guard let (next, event) = DeliveryPlanner.followUp(after: answer, of: plan, row: row,
                                                                  hasPlainForm: notifier.plainFallback(row.batch) != nil) else { break }
            if let event { log(event) }
            plan = next
            // The same attempt goes on, but never inside a known back-off window.
            local.state.learn(answer.learned, now: now)
            let gate = DeliveryPlanner.sendableAt(limiter: local.limiter, state: local.state,
                                                  globalBlock: shared.blockedUntil(kind), now: now, breaker: false)!
            if gate > now {
                await clock.sleep(until: gate, bell: Doorbell())
                now = clock.now()
            }
        }
        let millis = Int(((MonotonicClock.now() - started) * 1000).rounded())
        let settlement = DeliveryPlanner.settle(answer, of: plan, row: row, state: local.state, policy: policy, urlHash: urlHash,
                                                millis: millis, jitter: jitter(), now: now)
        local.state = settlement.state
        if let until = settlement.globalBlock { shared.block(kind, until: until) }
        try store.settle(row.id, settlement.update, notifier: name, kind: kind, state: local.state,
                         posted: settlement.posted.map { (row.batch.fingerprint, $0) }, now: now)
        published.withLock { $0 = local.state }
        for event in settlement.events { log(event) }
        progress(.attempted(rowID: row.id, outcome: answer.outcome))
    }

    // MARK: Logs and metrics

    private func log(_ event: DeliveryEvent) {
        switch event {
        case .attempted(_, let outcome, let millis):
            telemetry?.deliveryAttempt(notifier: name, outcome: outcome, duration: .milliseconds(Int64(millis)))
        case .expired: telemetry?.deliveryExpired(notifier: name)
        case .folded(_, let sources, let into): telemetry?.stormFold(notifier: name, sources: sources, into: into)
        default: break
        }
        let waiting = if case .disabled = event { (try? store.waitingCount(notifier: name)) ?? 0 } else { 0 }
        guard let (level, text) = event.logLine(notifier: name, waiting: waiting) else { return }
        switch level {
        case .notice: logger.notice("\(text)")
        case .warning: logger.warning("\(text)")
        case .error: logger.error("\(text)")
        }
    }
}
