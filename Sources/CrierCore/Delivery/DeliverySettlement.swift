/// What an attempt's answer changes: the notifier's state, its outbox row, the message to
/// edit next time, a block for every notifier of the kind, and what to log and count.
public struct Settlement: Sendable, Equatable {
    public var state: NotifierState
    public var update: OutboxUpdate
    /// The message this row posted, to be edited while its burst goes on.
    public var posted: PostedMessage?
    /// Every notifier of this kind waits until then (Discord's `global`, a Cloudflare ban).
    public var globalBlock: Timestamp?
    public var events: [DeliveryEvent]
}

extension DeliveryPlanner {
    /// The request that follows an answer for the same row, if one does: a message to edit
    /// that is gone is posted anew; a rich payload refused with a 400 is sent once as plain
    /// text (a rule of the destination crier got wrong: resending the same body is a bug, and
    /// dropping the alert loses it).
    /// - Parameter hasPlainForm: the notifier has a bare-text form for this row.
    public static func followUp(after c: Classified, of plan: SendPlan, row: PendingDelivery,
                                hasPlainForm: Bool) -> (SendPlan, DeliveryEvent?)? {
        if plan.editing != nil, case .permanent(.unknownWebhook, false) = c.outcome {
            return (SendPlan(rowID: plan.rowID, editing: nil, form: plan.form), nil)
        }
        if case .permanent(.badPayload, _) = c.outcome, plan.form == .rich, hasPlainForm {
            return (SendPlan(rowID: plan.rowID, editing: nil, form: .plain(refused: c.detail)),
                    .plainFallback(rowID: row.id, rule: row.batch.rule, detail: c.detail))
        }
        return nil
    }

    /// Applies the answer to the last request of `plan` (after any follow-ups).
    /// - Parameters:
    ///   - urlHash: of the configured URL, kept with a disable (a new URL lifts it).
    ///   - millis: time from the first request to the last answer.
    ///   - jitter: a random number in 0..<1 for the back-off.
    public static func settle(_ c: Classified, of plan: SendPlan, row: PendingDelivery, state: NotifierState,
                              policy: DeliveryPolicy, urlHash: String, millis: Int, jitter: Double,
                              now: Timestamp) -> Settlement {
        var state = state
        var update = OutboxUpdate(status: .delivered)
        var posted: PostedMessage?
        var globalBlock: Timestamp?
        var events: [DeliveryEvent] = [.attempted(rowID: row.id, outcome: c.outcome, millis: millis)]
        state.learn(c.learned, now: now)
        update.responseStatus = c.status
        update.responseMillis = millis
        switch c.outcome {
        case .delivered(let messageID):
            update.deliveredAt = now
            update.messageID = messageID
            if case .plain(let refused) = plan.form { update.lastError = "sent as plain text: the rich form was refused (\(refused))" }
            state.breaker.succeeded()
            state.lastSuccess = now
            if let messageID, plan.editing == nil {
                posted = PostedMessage(id: messageID, episodeStart: row.batch.episodeStart)
            }
        case .retry(let reason, let after):
            state.breaker.failed(now: now)
            state.lastFailure = now
            state.lastError = c.detail
            let delay = after ?? policy.retry.delay(afterAttempt: row.attempts, unit: jitter)
            update.status = .retrying
            update.nextAttemptAt = now + delay
            update.lastError = "\(reason.rawValue): \(c.detail)"
            events.append(.retrying(reason, detail: c.detail, after: delay))
        case .rateLimited(let after, let global):
            state.blockedUntil = max(state.blockedUntil ?? .distantPast, now + after)
            if global { globalBlock = now + after }
            update.status = .rateLimited
            update.nextAttemptAt = now + after
            update.lastError = "rate_limited: \(c.detail)"
            state.breaker.succeeded()  // the server answered: not a failure of the webhook
        case .permanent(let reason, let disables):
            update.status = .dead
            update.lastError = "\(reason.rawValue): \(c.detail)"
            state.lastFailure = now
            state.lastError = c.detail
            if disables {
                state.disabledReason = "\(reason.rawValue): \(c.detail)"
                state.disabledURLHash = urlHash
                events.append(.disabled(detail: c.detail))
            } else {
                events.append(.refused(rowID: row.id, rule: row.batch.rule, detail: c.detail))
            }
        }
        return Settlement(state: state, update: update, posted: posted, globalBlock: globalBlock, events: events)
    }

    /// A row older than `max_age`: dead, without an attempt.
    public static func expiry(of row: PendingDelivery, policy: DeliveryPolicy) -> (OutboxUpdate, DeliveryEvent) {
        var update = OutboxUpdate(status: .dead)
        update.lastError = "expired: not delivered within \(DurationParser.format(policy.retry.maxAge))"
        update.countsAsAttempt = false
        return (update, .expired(rowID: row.id, rule: row.batch.rule, maxAge: policy.retry.maxAge))
    }

    /// A row that cannot be read: dead, its reason kept for `crier history`.
    public static func burial(of row: UnreadableRow) -> (OutboxUpdate, DeliveryEvent) {
        var update = OutboxUpdate(status: .dead)
        update.lastError = "unreadable: \(row.problem)"
        update.countsAsAttempt = false
        return (update, .buried(rowID: row.id, problem: row.problem))
    }
}
