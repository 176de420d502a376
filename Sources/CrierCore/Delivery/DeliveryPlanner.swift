/// How one notifier's delivery behaves: what the configuration says, and what tests shorten.
public struct DeliveryPolicy: Sendable, Equatable {
    /// More waiting messages than this and the queue folds (`storm_threshold`). Default 20.
    public var stormThreshold = 20
    /// Back-off and `max_age`.
    public var retry = RetryPolicy()
    /// Delivered, dead and merged rows older than this are deleted. Default 7 days.
    public var historyRetention: Duration = .seconds(7 * 86_400)
    /// How often that is done. Default hourly: it is a cheap indexed delete.
    public var pruneInterval: Duration = .seconds(3600)
    /// A continuing burst edits the group's last message (a notifier capability).
    public var editsInPlace = false

    public init() {}
}

/// A stop the delivery was asked for.
public enum StopRequest: Sendable, Equatable {
    /// SIGTERM: finish the request in flight, leave the rest in the outbox.
    case now
    /// The input ended (or the console): deliver what is due until then, within the limits.
    case drain(until: Timestamp)
}

/// One request for one row.
public struct SendPlan: Sendable, Equatable {
    public enum Form: Sendable, Equatable {
        /// The payload as rendered.
        case rich
        /// The notifier's bare-text form, after the rich one was refused (the server's reason).
        case plain(refused: String)
    }

    public var rowID: Int64
    /// Update this message in place instead of posting a new one.
    public var editing: String?
    public var form: Form

    public init(rowID: Int64, editing: String? = nil, form: Form = .rich) {
        self.rowID = rowID
        self.editing = editing
        self.form = form
    }
}

/// What a notifier's delivery does next.
public enum DeliveryAction: Sendable, Equatable {
    /// Delete history older than this (retention).
    case pruneHistory(before: Timestamp)
    /// Dead-letter rows that cannot be read, each with its reason.
    case bury([UnreadableRow])
    /// Storm control: replace each merge's sources with one row.
    case fold([StormControl.Merge])
    /// Dead-letter rows older than `max_age`.
    case expire([PendingDelivery])
    case send(SendPlan)
    /// Nothing may go before this (a back-off, pacing, a block, the breaker).
    case wait(until: Timestamp)
    /// Nothing waits: sleep until new rows are written.
    case idle
    /// The webhook is wrong or gone: nothing is sent until its URL changes.
    case disabled(reason: String)
    /// Stopping, and nothing more is due before the stop's deadline.
    case finish
}

/// The decisions of a notifier's delivery, on plain values (DESIGN §4): what to do next
/// (`next`), and what an attempt's answer changes (`settle`, in `DeliverySettlement`). The
/// service around it only reads the store, performs the action and waits.
public enum DeliveryPlanner {
    /// The next action, given the head of the notifier's outbox (oldest first) and its state.
    /// - Parameters:
    ///   - head: waiting rows, oldest first; `unreadable`: waiting rows that failed to decode.
    ///   - globalBlock: a block for every notifier of this kind (Discord's `global`, a Cloudflare ban).
    ///   - lastPrune: when history was last pruned.
    public static func next(head: [PendingDelivery], unreadable: [UnreadableRow] = [], limiter: SendRateLimiter,
                            state: NotifierState, globalBlock: Timestamp?, policy: DeliveryPolicy, lastPrune: Timestamp,
                            stop: StopRequest? = nil, now: Timestamp) -> DeliveryAction {
        if stop == .now { return .finish }
        if now - lastPrune >= policy.pruneInterval { return .pruneHistory(before: now - policy.historyRetention) }
        if let reason = state.disabledReason { return stop == nil ? .disabled(reason: reason) : .finish }
        if !unreadable.isEmpty { return .bury(unreadable) }
        if head.isEmpty { return stop == nil ? .idle : .finish }
        if head.count > policy.stormThreshold {
            let merges = StormControl.plan(head.map(StormControl.Item.init), threshold: policy.stormThreshold)
            if !merges.isEmpty { return .fold(merges) }
        }
        let expired = head.filter { policy.retry.expired(createdAt: $0.createdAt, now: now) }
        if !expired.isEmpty { return .expire(expired) }
        // A row is dead-lettered when it reaches `max_age`, not at whatever wake-up comes next.
        let expiry = head.map { $0.createdAt + policy.retry.maxAge }.min()!
        guard let due = head.first(where: { ($0.nextAttemptAt ?? now) <= now }) else {
            // Every row waits for its back-off: the earliest one.
            return waiting(until: min(head.compactMap(\.nextAttemptAt).min()!, expiry), stop: stop)
        }
        guard let gate = sendableAt(limiter: limiter, state: state, globalBlock: globalBlock, now: now) else {
            return stop == nil ? .idle : .finish  // a probe is in flight; its answer wakes the loop
        }
        if gate > now { return waiting(until: min(gate, expiry), stop: stop) }
        return .send(SendPlan(rowID: due.id, editing: editTarget(due, policy: policy)))
    }

    /// The earliest time anything may be sent: configured pacing, a learned or 429 block,
    /// a global block, and (unless `breaker` is false: a follow-up within one attempt) the
    /// circuit breaker. nil while the breaker waits for a probe's answer.
    public static func sendableAt(limiter: SendRateLimiter, state: NotifierState, globalBlock: Timestamp?,
                                  now: Timestamp, breaker: Bool = true) -> Timestamp? {
        var gates = [limiter.nextAllowed(now: now), state.blockedUntil, globalBlock]
        if breaker {
            guard let open = state.breaker.sendableAt(now: now) else { return nil }
            gates.append(open)
        }
        return gates.compactMap { $0 }.max()!
    }

    /// The message a row edits in place: the group's last message, while the same burst goes on.
    static func editTarget(_ row: PendingDelivery, policy: DeliveryPolicy) -> String? {
        guard policy.editsInPlace, row.batch.reason == .burst, let posted = row.posted,
              posted.episodeStart == row.batch.episodeStart else { return nil }
        return posted.id
    }

    static func waiting(until deadline: Timestamp, stop: StopRequest?) -> DeliveryAction {
        if case .drain(let until) = stop, deadline > until { return .finish }
        return .wait(until: deadline)
    }
}
