import Testing

@testable import CrierCore

/// The delivery decisions on plain values: what comes next, and what an answer changes.
@Suite struct DeliveryPlannerTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)

    func batch(_ group: UInt64, reason: BatchReason = .first, episode: Timestamp? = nil, count: Int = 1) -> AlertBatch {
        let alert = Alert(rule: "celery.task_failed", severity: .error, title: "Task failed (group \(group))", body: "boom",
                          fingerprint: Fingerprint(value: group), timestamp: t0)
        return AlertBatch(fingerprint: Fingerprint(value: group), rule: alert.rule, severity: .error, labels: [], reason: reason,
                          alerts: [alert], count: count, firstSeen: t0, lastSeen: t0, decidedAt: t0, episodeCount: count,
                          episodeStart: episode ?? t0)
    }

    func row(_ id: Int64, _ b: AlertBatch? = nil, next: Timestamp? = nil, created: Timestamp? = nil, attempts: Int = 0,
             posted: PostedMessage? = nil) -> PendingDelivery {
        PendingDelivery(id: id, batch: b ?? batch(UInt64(id)), payload: "{}", attempts: attempts, createdAt: created ?? t0,
                        nextAttemptAt: next, posted: posted)
    }

    var policy: DeliveryPolicy {
        var p = DeliveryPolicy()
        p.retry.maxAge = .seconds(600)
        return p
    }

    func next(_ head: [PendingDelivery], unreadable: [UnreadableRow] = [], limiter: SendRateLimiter = SendRateLimiter(windows: []),
              state: NotifierState = NotifierState(), global: Timestamp? = nil, policy: DeliveryPolicy? = nil,
              stop: StopRequest? = nil, at offset: Int64 = 0) -> DeliveryAction {
        DeliveryPlanner.next(head: head, unreadable: unreadable, limiter: limiter, state: state, globalBlock: global,
                             policy: policy ?? self.policy, lastPrune: t0, stop: stop, now: t0 + .seconds(offset))
    }

    // MARK: next

    @Test func housekeepingComesFirst() {
        var stale = DeliveryPlanner.next(head: [row(1)], limiter: SendRateLimiter(windows: []), state: NotifierState(),
                                         globalBlock: nil, policy: policy, lastPrune: t0, now: t0 + .seconds(3600))
        #expect(stale == .pruneHistory(before: t0 + .seconds(3600) - .seconds(7 * 86_400)))
        stale = DeliveryPlanner.next(head: [row(1)], limiter: SendRateLimiter(windows: []), state: NotifierState(),
                                     globalBlock: nil, policy: policy, lastPrune: t0, stop: .now, now: t0 + .seconds(3600))
        #expect(stale == .finish, "a stop comes before everything")
        let unreadable = [UnreadableRow(id: 9, problem: "damaged")]
        #expect(next([row(1)], unreadable: unreadable) == .bury(unreadable))
        #expect(next([]) == .idle)
        #expect(next([], stop: .drain(until: t0 + .seconds(60))) == .finish)
        var disabled = NotifierState()
        disabled.disabledReason = "unknown_webhook: HTTP 404"
        #expect(next([row(1)], state: disabled) == .disabled(reason: "unknown_webhook: HTTP 404"))
        #expect(next([row(1)], state: disabled, stop: .drain(until: t0 + .seconds(60))) == .finish)
    }

    @Test func theOldestDueRowIsSentAtOnceWhenNothingStandsInTheWay() {
        #expect(next([row(1, next: t0 + .seconds(5)), row(2), row(3)]) == .send(SendPlan(rowID: 2)))
    }

    @Test func everyGateIsWaitedForTheLatestFirst() {
        var limiter = SendRateLimiter(windows: [.init(count: 1, length: .seconds(1))])
        limiter.record(sendAt: t0)
        #expect(next([row(1)], limiter: limiter) == .wait(until: t0 + .seconds(1)))
        var blocked = NotifierState()
        blocked.blockedUntil = t0 + .seconds(7)
        #expect(next([row(1)], limiter: limiter, state: blocked) == .wait(until: t0 + .seconds(7)))
        #expect(next([row(1)], limiter: limiter, state: blocked, global: t0 + .seconds(9)) == .wait(until: t0 + .seconds(9)))
        var open = NotifierState()
        open.breaker = CircuitBreaker(threshold: 1, openFor: .seconds(60))
        open.breaker.failed(now: t0)
        #expect(next([row(1)], state: open) == .wait(until: t0 + .seconds(60)))
        #expect(next([row(1)], state: open, at: 60) == .send(SendPlan(rowID: 1)), "one probe once its time has come")
        open.breaker.willSend()
        #expect(next([row(1)], state: open, at: 61) == .idle, "no second request while the probe is out")
    }

    @Test func backOffsAndExpiryAreWaitedForExactly() {
        #expect(next([row(1, next: t0 + .seconds(30)), row(2, next: t0 + .seconds(20))]) == .wait(until: t0 + .seconds(20)))
        // max_age (600 s) comes first: the row is dead-lettered then, not at its next attempt.
        let late = row(1, next: t0 + .seconds(900))
        #expect(next([late]) == .wait(until: t0 + .seconds(600)))
        #expect(next([late], at: 600) == .expire([late]))
        var blocked = NotifierState()
        blocked.blockedUntil = t0 + .seconds(3600)
        #expect(next([row(1)], state: blocked) == .wait(until: t0 + .seconds(600)))
    }

    @Test func aDrainStopsAtItsDeadline() {
        let head = [row(1, next: t0 + .seconds(50)), row(2, next: t0 + .seconds(70))]
        #expect(next(head, stop: .drain(until: t0 + .seconds(60))) == .wait(until: t0 + .seconds(50)))
        #expect(next(head, stop: .drain(until: t0 + .seconds(40))) == .finish)
        #expect(next(head, stop: .now) == .finish)
    }

    @Test func aContinuingBurstEditsTheGroupsMessageWhenTheNotifierCan() {
        var edits = policy
        edits.editsInPlace = true
        let posted = PostedMessage(id: "111", episodeStart: t0)
        let burst = row(1, batch(7, reason: .burst), posted: posted)
        #expect(next([burst], policy: edits) == .send(SendPlan(rowID: 1, editing: "111")))
        #expect(next([burst]) == .send(SendPlan(rowID: 1)), "a notifier that cannot edit posts anew")
        #expect(next([row(1, batch(7, reason: .first), posted: posted)], policy: edits) == .send(SendPlan(rowID: 1)))
        let newEpisode = row(1, batch(7, reason: .burst, episode: t0 + .seconds(9)), posted: posted)
        #expect(next([newEpisode], policy: edits) == .send(SendPlan(rowID: 1)), "a new episode is a new message")
    }

    @Test func aBackedUpQueueFoldsBeforeAnythingIsSent() {
        let head = (1...21).map { row(Int64($0)) }
        guard case .fold(let merges) = next(head) else {
            Issue.record("fold expected")
            return
        }
        #expect(merges.count == 1 && merges[0].kind == .stormSummary && merges[0].members.count == 21)
        #expect(merges[0].sources == (1...21).map(Int64.init))
        #expect(next(Array(head.prefix(20))) == .send(SendPlan(rowID: 1)))
    }

    // MARK: followUp

    @Test func aGoneMessageIsPostedAnewAndARefusedRichFormIsSentOnceAsText() {
        let r = row(1)
        let gone = Classified(.permanent(.unknownWebhook, disablesNotifier: false), detail: "message to edit no longer exists")
        #expect(DeliveryPlanner.followUp(after: gone, of: SendPlan(rowID: 1, editing: "5"), row: r, hasPlainForm: true)?.0
                == SendPlan(rowID: 1))
        #expect(DeliveryPlanner.followUp(after: gone, of: SendPlan(rowID: 1), row: r, hasPlainForm: true) == nil)
        let refused = Classified(.permanent(.badPayload, disablesNotifier: false), detail: "HTTP 400: invalid_blocks", status: 400)
        let plain = DeliveryPlanner.followUp(after: refused, of: SendPlan(rowID: 1), row: r, hasPlainForm: true)
        #expect(plain?.0 == SendPlan(rowID: 1, form: .plain(refused: "HTTP 400: invalid_blocks")))
        #expect(plain?.1 == .plainFallback(rowID: 1, rule: "celery.task_failed", detail: "HTTP 400: invalid_blocks"))
        #expect(DeliveryPlanner.followUp(after: refused, of: plain!.0, row: r, hasPlainForm: true) == nil, "once")
        #expect(DeliveryPlanner.followUp(after: refused, of: SendPlan(rowID: 1), row: r, hasPlainForm: false) == nil)
    }

    // MARK: settle

    func settle(_ c: Classified, plan: SendPlan = SendPlan(rowID: 1), row r: PendingDelivery? = nil,
                state: NotifierState = NotifierState(), jitter: Double = 0.5) -> Settlement {
        DeliveryPlanner.settle(c, of: plan, row: r ?? row(1, attempts: 3), state: state, policy: policy, urlHash: "h1",
                               millis: 42, jitter: jitter, now: t0)
    }

    @Test func aDeliveryClosesTheBreakerAndRemembersTheMessage() {
        var failing = NotifierState()
        failing.breaker.failed(now: t0)
        let s = settle(Classified(.delivered(messageID: "m1"), detail: "HTTP 200", status: 200), state: failing)
        #expect(s.update.status == .delivered && s.update.deliveredAt == t0 && s.update.messageID == "m1")
        #expect(s.update.responseStatus == 200 && s.update.responseMillis == 42 && s.update.lastError == nil)
        #expect(s.state.breaker.state == .closed(failures: 0) && s.state.lastSuccess == t0)
        #expect(s.posted == PostedMessage(id: "m1", episodeStart: t0))
        #expect(s.events == [.attempted(rowID: 1, outcome: .delivered(messageID: "m1"), millis: 42)])
        let edited = settle(Classified(.delivered(messageID: "m1")), plan: SendPlan(rowID: 1, editing: "m1"))
        #expect(edited.posted == nil, "an edit keeps the message it edited")
        let plain = settle(Classified(.delivered(messageID: nil)), plan: SendPlan(rowID: 1, form: .plain(refused: "HTTP 400: x")))
        #expect(plain.update.lastError == "sent as plain text: the rich form was refused (HTTP 400: x)")
    }

    @Test func aFailureBacksOffWithFullJitterUnderTheCeiling() {
        let s = settle(Classified(.retry(.serverError, after: nil), detail: "HTTP 502", status: 502), jitter: 0.5)
        // After 3 attempts the ceiling is 8 s; half of it.
        #expect(s.update.status == .retrying && s.update.nextAttemptAt == t0 + .seconds(4))
        #expect(s.update.lastError == "server_error: HTTP 502")
        #expect(s.state.breaker.state == .closed(failures: 1) && s.state.lastError == "HTTP 502" && s.state.lastFailure == t0)
        #expect(s.events.last == .retrying(.serverError, detail: "HTTP 502", after: .seconds(4)))
        let told = settle(Classified(.retry(.serverError, after: .seconds(7)), detail: "HTTP 503"))
        #expect(told.update.nextAttemptAt == t0 + .seconds(7), "the server's Retry-After wins")
    }

    @Test func aRateLimitBlocksTheNotifierOrTheWholeKind() {
        let s = settle(Classified(.rateLimited(after: .seconds(2), global: false), detail: "HTTP 429", status: 429))
        #expect(s.update.status == .rateLimited && s.update.nextAttemptAt == t0 + .seconds(2))
        #expect(s.state.blockedUntil == t0 + .seconds(2) && s.globalBlock == nil)
        #expect(s.state.breaker.state == .closed(failures: 0), "the server answered: not a failure")
        let global = settle(Classified(.rateLimited(after: .seconds(600), global: true), detail: "Cloudflare"))
        #expect(global.globalBlock == t0 + .seconds(600))
        let learned = settle(Classified(.delivered(messageID: nil), learned: LearnedLimit(remaining: 0, resetAfter: .milliseconds(500))))
        #expect(learned.state.blockedUntil == t0 + .milliseconds(500) && learned.state.learned?.remaining == 0)
    }

    @Test func aGoneWebhookDisablesTheNotifierForItsURL() {
        let s = settle(Classified(.permanent(.unknownWebhook, disablesNotifier: true), detail: "HTTP 404: Unknown Webhook", status: 404))
        #expect(s.update.status == .dead && s.update.lastError == "unknown_webhook: HTTP 404: Unknown Webhook")
        #expect(s.state.disabledReason == "unknown_webhook: HTTP 404: Unknown Webhook" && s.state.disabledURLHash == "h1")
        #expect(s.events.last == .disabled(detail: "HTTP 404: Unknown Webhook"))
        let refused = settle(Classified(.permanent(.badPayload, disablesNotifier: false), detail: "HTTP 400"))
        #expect(refused.state.disabledReason == nil && refused.update.status == .dead)
        #expect(refused.events.last == .refused(rowID: 1, rule: "celery.task_failed", detail: "HTTP 400"))
        // The same URL stays disabled after a restart; a new one lifts it.
        #expect(s.state.restored(urlHash: "h1").lifted == nil && s.state.restored(urlHash: "h1").0.disabledReason != nil)
        let (lifted, reason) = s.state.restored(urlHash: "h2")
        #expect(lifted.disabledReason == nil && reason == "unknown_webhook: HTTP 404: Unknown Webhook")
    }

    @Test func expiredAndUnreadableRowsDieWithoutAnAttempt() {
        let (expired, event) = DeliveryPlanner.expiry(of: row(4), policy: policy)
        #expect(expired.status == .dead && !expired.countsAsAttempt && expired.lastError == "expired: not delivered within 10m")
        #expect(event == .expired(rowID: 4, rule: "celery.task_failed", maxAge: .seconds(600)))
        let (buried, _) = DeliveryPlanner.burial(of: UnreadableRow(id: 5, problem: "missing .rule"))
        #expect(buried.status == .dead && !buried.countsAsAttempt && buried.lastError == "unreadable: missing .rule")
    }

    @Test func eventsSayWhatHappenedInTheLog() {
        #expect(DeliveryEvent.disabled(detail: "HTTP 404").logLine(notifier: "ops", waiting: 2)?.1
                == "ops: the webhook answered HTTP 404; NOTIFIER DISABLED. 2 messages wait in the outbox until its URL is fixed")
        #expect(DeliveryEvent.attempted(rowID: 1, outcome: .delivered(messageID: nil), millis: 1).logLine(notifier: "ops") == nil)
    }
}

/// Storm control keeps every folded group nameable.
@Suite struct StormSummaryTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)

    func batch(_ group: UInt64) -> AlertBatch {
        let alert = Alert(rule: "celery.task_failed", severity: .error, title: "Task failed (group \(group))", body: "boom",
                          fingerprint: Fingerprint(value: group), timestamp: t0)
        return AlertBatch(fingerprint: Fingerprint(value: group), rule: alert.rule, severity: .error, labels: [], reason: .first,
                          alerts: [alert], count: 1, firstSeen: t0, lastSeen: t0, decidedAt: t0, episodeCount: 1, episodeStart: t0)
    }

    /// A summary still waiting when more arrives is never folded into a summary as one group.
    @Test func aWaitingSummaryIsListedAgainGroupByGroup() throws {
        let first = try #require(StormControl.plan((0..<21).map { (id: Int64($0), batch: batch(UInt64($0))) }, threshold: 20).first)
        #expect(first.kind == .stormSummary && first.members.count == 21)
        let waiting = [StormControl.Item(id: 100, batch: first.batch, members: first.members)]
            + (100..<120).map { StormControl.Item(id: Int64($0 + 1), batch: batch(UInt64($0))) }
        let again = try #require(StormControl.plan(waiting, threshold: 20).first)
        #expect(again.sources.count == 21 && again.sources.first == 100)
        #expect(again.batch.alerts[0].title == "41 alerts in 41 groups")
        #expect(again.members.count == 41 && !again.members.contains { $0.rule == StormControl.summaryRule })
        let lines = again.batch.alerts[0].body.split(separator: "\n")
        for group in Array(0..<21) + Array(100..<120) {
            #expect(lines.contains { $0.hasSuffix("Task failed (group \(group))") }, "group \(group) is named")
        }
        // A group seen in both folds is one line, its counts added.
        let overlap = [StormControl.Item(id: 100, batch: first.batch, members: first.members)]
            + (0..<21).map { StormControl.Item(id: Int64($0 + 200), batch: batch(UInt64($0))) }
        let merged = try #require(StormControl.plan(overlap, threshold: 20).first)
        #expect(merged.members.count == 21 && merged.members.allSatisfy { $0.count == 2 })
    }

    /// A summary alone, or below the threshold, is sent as it is.
    @Test func aSummaryBelowTheThresholdIsLeftAlone() throws {
        let first = try #require(StormControl.plan((0..<21).map { (id: Int64($0), batch: batch(UInt64($0))) }, threshold: 20).first)
        let waiting = [StormControl.Item(id: 100, batch: first.batch, members: first.members)]
            + (100..<105).map { StormControl.Item(id: Int64($0 + 1), batch: batch(UInt64($0))) }
        #expect(StormControl.plan(waiting, threshold: 20).isEmpty)
    }
}
