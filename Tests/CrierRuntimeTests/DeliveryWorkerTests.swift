@testable import CrierCore
import CrierNotifiers
import CrierPlatform
import CrierStore
import CrierTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import CrierRuntime

/// A notifier's delivery on manual time: the real state file, a scripted transport on the
/// transport's own thread, and a clock that moves only when the test says. Each test checks
/// that every request went out exactly when it was allowed: not earlier, not later.
struct DeliveryHarness {
    static let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)
    var t0: Timestamp { DeliveryHarness.t0 }
    let dir = TempDirectory()
    let store: StateStore
    let clock = ManualClock(DeliveryHarness.t0)
    let shared = SharedLimits()

    init() throws { store = try StateStore(directory: dir.path) }

    func batch(group: UInt64, count: Int = 1, reason: BatchReason = .first, episode: Timestamp? = nil) -> AlertBatch {
        let alert = Alert(rule: "celery.task_failed", severity: .error, title: "Task render failed (group \(group))",
                          body: "TimeoutError('upstream')", fingerprint: Fingerprint(value: group), timestamp: t0)
        return AlertBatch(fingerprint: Fingerprint(value: group), rule: "celery.task_failed", severity: .error, labels: [],
                          reason: reason, alerts: [alert], count: count, firstSeen: t0, lastSeen: t0, decidedAt: t0,
                          episodeCount: count, episodeStart: episode ?? t0)
    }

    func batches(_ groups: Range<Int>) -> [AlertBatch] { groups.map { batch(group: UInt64($0)) } }

    /// Queues batches for a notifier, rendered as the pipeline would, at the clock's time
    /// (or `at`: real time, for a delivery on the real clock).
    @discardableResult
    func enqueue(_ batches: [AlertBatch], for notifier: any Notifier, at: Timestamp? = nil) throws -> [Int64] {
        var changes = StateStore.Changes(now: at ?? clock.now())
        changes.outbox = batches.map {
            OutboxEntry(notifier: notifier.name, notifierKind: notifier.kind, kind: .alert, batch: $0,
                        payload: notifier.render($0).body.encoded)
        }
        return try store.commit(changes)
    }

    /// A delivery on the manual clock; `jitter` fixes the back-off's random part.
    func delivery(_ notifier: any Notifier, _ transport: any Transport & Sendable, jitter: Double = 1) throws -> NotifierDelivery {
        try delivery(notifier, make: { transport }, jitter: jitter)
    }

    /// `make` is called on the delivery's transport thread (a real transport stays there).
    func delivery(_ notifier: any Notifier, make: @escaping @Sendable () -> any Transport, jitter: Double = 1,
                  telemetry: Telemetry? = nil,
                  progress: @escaping @Sendable (NotifierDelivery.Progress) -> Void = { _ in }) throws -> NotifierDelivery {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try NotifierDelivery(notifier: notifier, store: store, shared: shared, clock: clock, logger: logger,
                                    telemetry: telemetry, makeTransport: make, progress: progress, jitter: { jitter })
    }

    /// Starts `delivery`, rings it, and steps time from deadline to deadline until it is idle.
    func run(_ delivery: NotifierDelivery) async -> Task<Void, Never> {
        let task = Task { _ = try? await delivery.run() }
        delivery.wake()
        await clock.runUntilIdle()
        return task
    }

    func stop(_ delivery: NotifierDelivery, _ task: Task<Void, Never>) async {
        delivery.requestStop(.now)
        await task.value
    }

    /// Statuses of every row, oldest first.
    func statuses() throws -> [String] { try store.history(limit: 10_000).reversed().map(\.statusText) }

    func at(_ seconds: Double) -> Timestamp { t0 + .microseconds(Int64((seconds * 1_000_000).rounded())) }
}

func discord(_ url: String = "https://discord.com", name: String = "discord", update: NotifierConfig.UpdateMode = .edit,
             rate: RateLimitConfig? = nil, stormThreshold: Int = 20) -> DiscordNotifier {
    var c = DiscordConfig(name: name, webhookURL: Secret(url + "/api/webhooks/1/SECRET-TOKEN"))
    c.update = update
    c.common.rateLimit = rate
    c.common.stormThreshold = stormThreshold
    return DiscordNotifier(config: c)
}

func webhook(_ url: String = "https://hooks.example.com/in", rate: RateLimitConfig? = nil, maxAge: Duration? = nil) -> WebhookNotifier {
    var c = WebhookConfig(name: "hook", webhookURL: Secret(url))
    c.common.rateLimit = rate
    if let maxAge { c.common.maxAge = maxAge }
    return WebhookNotifier(config: c)
}

func slack() -> SlackNotifier {
    SlackNotifier(config: SlackConfig(name: "slack", webhookURL: Secret("https://hooks.slack.com/services/T1/B2/XYZ")))
}

/// Discord's answers as its API gives them (the `Via` header marks the API, not Cloudflare).
let discordOK = TransportResult.status(200, headers: ["Via": "1.1 google"], body: #"{"id": "111"}"#)

@Suite struct DeliveryPacingTests {
    @Test func discordSendsFivePerTwoSecondsAndThirtyPerMinute() async throws {
        let h = try DeliveryHarness()
        let n = discord(stormThreshold: 100)
        let transport = ScriptedTransport(clock: h.clock) { _, _ in .status(204) }
        try h.enqueue(h.batches(0..<37), for: n)
        let d = try h.delivery(n, transport)
        let task = await h.run(d)
        let expected: [Double] = [0.0, 2, 4, 6, 8, 10].flatMap { Array(repeating: $0, count: 5) } + Array(repeating: 60, count: 5) + [62, 62]
        #expect(transport.times == expected.map(h.at))
        #expect(try h.statuses().allSatisfy { $0 == "delivered" })
        await h.stop(d, task)
    }

    @Test func slackSendsOnePerSecond() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock) { _, _ in .status(200, body: "ok") }
        try h.enqueue(h.batches(0..<3), for: slack())
        let d = try h.delivery(slack(), transport)
        let task = await h.run(d)
        #expect(transport.times == [0, 1, 2].map(h.at))
        await h.stop(d, task)
    }

    @Test func aConfiguredRateLimitReplacesTheDefault() async throws {
        let h = try DeliveryHarness()
        let n = webhook(rate: RateLimitConfig(perSecond: 2, perMinute: 3))
        let transport = ScriptedTransport(clock: h.clock) { _, _ in .status(204) }
        try h.enqueue(h.batches(0..<6), for: n)
        let d = try h.delivery(n, transport)
        let task = await h.run(d)
        #expect(transport.times == [0, 0, 1, 60, 60, 61].map(h.at))
        await h.stop(d, task)
    }

    @Test func anExhaustedBucketWaitsForItsReset() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock) { _, _ in
            .status(204, headers: ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.5", "X-RateLimit-Bucket": "b1"])
        }
        try h.enqueue(h.batches(0..<3), for: discord())
        let d = try h.delivery(discord(), transport)
        let task = await h.run(d)
        #expect(transport.times == [0, 0.5, 1].map(h.at))
        #expect(d.state.learned?.bucket == "b1")
        await h.stop(d, task)
    }

    @Test func a429IsObeyedWithTheLongerOfRetryAfterAndTheBodysRetryAfter() async throws {
        for (headers, wait) in [(["Via": "1.1 google", "Retry-After": "1"], 1.0), (["Via": "1.1 google"], 0.4)] {
            let h = try DeliveryHarness()
            let transport = ScriptedTransport(clock: h.clock) { _, i in
                i == 0 ? .status(429, headers: headers, body: #"{"message": "You are being rate limited.", "retry_after": 0.4, "global": false}"#)
                    : .status(204)
            }
            try h.enqueue(h.batches(0..<2), for: discord())
            let d = try h.delivery(discord(), transport)
            let task = await h.run(d)
            #expect(transport.times == [0, wait, wait].map(h.at), "\(headers)")
            #expect(try h.statuses() == ["delivered", "delivered"])
            await h.stop(d, task)
        }
    }

    @Test func slacksRetryAfterIsObeyed() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock) { _, i in i == 0 ? .status(429, headers: ["Retry-After": "3"]) : .status(200) }
        try h.enqueue(h.batches(0..<1), for: slack())
        let d = try h.delivery(slack(), transport)
        let task = await h.run(d)
        #expect(transport.times == [0, 3].map(h.at))
        await h.stop(d, task)
    }

    @Test func aGlobal429HoldsEveryWebhookOfThatKind() async throws {
        let h = try DeliveryHarness()
        let a = discord(name: "a"), b = discord(name: "b")
        let first = ScriptedTransport(clock: h.clock) { _, i in
            i == 0 ? .status(429, headers: ["Via": "1.1 google"], body: #"{"retry_after": 2, "global": true}"#) : .status(204)
        }
        let second = ScriptedTransport(clock: h.clock) { _, _ in .status(204) }
        try h.enqueue(h.batches(0..<1), for: a)
        let da = try h.delivery(a, first)
        let ta = Task { _ = try? await da.run() }
        da.wake()
        #expect(await h.clock.sleepers() == [h.at(2)])
        try h.enqueue(h.batches(5..<6), for: b)
        let db = try h.delivery(b, second)
        let tb = Task { _ = try? await db.run() }
        db.wake()
        #expect(await h.clock.sleepers(2) == [h.at(2), h.at(2)], "b waits for a's global block")
        #expect(second.sent.isEmpty)
        h.clock.advance(to: h.at(2))
        #expect(await h.clock.sleepers(2) == [nil, nil])
        #expect(first.times == [0, 2].map(h.at) && second.times == [h.at(2)])
        await h.stop(da, ta)
        await h.stop(db, tb)
    }

    @Test func cloudflaresBanStopsTheKindForTenMinutes() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock) { _, i in
            i == 0 ? .status(429, body: "<html>error code: 1015</html>") : .status(204)
        }
        try h.enqueue(h.batches(0..<1), for: discord())
        let d = try h.delivery(discord(), transport)
        let task = await h.run(d)
        #expect(transport.times == [0, 600].map(h.at))
        #expect(h.shared.blockedUntil(.discord) == h.at(600))
        #expect(try h.store.history().first?.lastError == nil)
        await h.stop(d, task)
    }
}

@Suite struct DeliveryFailureTests {
    /// Full jitter (fixed at its ceiling here), the breaker after 5 failures, probes every
    /// 60 s, and the dead-letter at `max_age` exactly.
    @Test func serverErrorsAreRetriedUntilMaxAgeThenDead() async throws {
        let h = try DeliveryHarness()
        let n = webhook(maxAge: .seconds(600))
        let transport = ScriptedTransport(clock: h.clock) { _, _ in .status(502, body: "<html>bad gateway</html>") }
        try h.enqueue(h.batches(0..<1), for: n)
        let d = try h.delivery(n, transport, jitter: 1)
        let task = await h.run(d)
        #expect(transport.times == [0, 1, 3, 7, 15, 75, 135, 199, 327, 583].map(h.at))
        let row = try #require(try h.store.history().first)
        #expect(row.status == .dead && row.attempts == 10)
        #expect(row.lastError == "expired: not delivered within 10m")
        #expect(h.clock.now() == h.at(600))
        await h.stop(d, task)
    }

    @Test func theBackOffIsAFractionOfItsCeiling() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock) { _, i in i < 3 ? .status(500) : .status(204) }
        try h.enqueue(h.batches(0..<1), for: webhook())
        let d = try h.delivery(webhook(), transport, jitter: 0.25)
        let task = await h.run(d)
        // Ceilings 1 s, 2 s, 4 s: a quarter of each.
        #expect(transport.times == [0, 0.25, 0.75, 1.75].map(h.at))
        await h.stop(d, task)
    }

    @Test func theBreakerOpensAfterFiveFailuresAndSendsOneProbeAfterAMinute() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock) { _, i in i < 6 ? .status(503, headers: ["Retry-After": "0"]) : .status(204) }
        try h.enqueue(h.batches(0..<2), for: webhook())
        let d = try h.delivery(webhook(), transport)
        let task = await h.run(d)
        // Five at once (the server said retry now), the probe at 60 fails, the next at 120 works.
        #expect(transport.times == [0, 0, 0, 0, 0, 60, 120, 120].map(h.at))
        #expect(d.state.breaker.state == .closed(failures: 0))
        await h.stop(d, task)
    }

    @Test func aRefusedPayloadIsSentOnceAsPlainTextThenDeadAndTheQueueGoesOn() async throws {
        let h = try DeliveryHarness()
        // Group 1 is refused in every form; group 2 only in its rich form.
        let transport = ScriptedTransport(clock: h.clock) { request, _ in
            request.bodyText.contains("group 1") || request.bodyText.contains("embeds")
                ? .status(400, headers: ["Via": "1.1 google"], body: #"{"code": 50035, "message": "Invalid Form Body"}"#)
                : .status(204)
        }
        try h.enqueue([h.batch(group: 1), h.batch(group: 2)], for: discord())
        let d = try h.delivery(discord(), transport)
        let task = await h.run(d)
        let bodies = transport.sent.map { parseJSON($0.bodyText) as? [String: Any] ?? [:] }
        #expect(bodies.count == 4, "each row: the rich form, then plain text once")
        #expect(bodies[1]["content"] is String && bodies[1]["embeds"] == nil)
        #expect(transport.times == Array(repeating: h.t0, count: 4))
        #expect(try h.statuses() == ["dead", "delivered"])
        let history = try h.store.history()
        #expect(history.first { $0.status == .dead }?.lastError?.contains("bad_payload") == true)
        #expect(history.first { $0.status == .delivered }?.lastError?.contains("sent as plain text") == true)
        await h.stop(d, task)
    }

    @Test(arguments: [401, 403, 404, 410])
    func aWebhookThatIsWrongOrGoneDisablesTheNotifierUntilItsURLChanges(status: Int) async throws {
        let h = try DeliveryHarness()
        let gone = discord()
        let transport = ScriptedTransport(clock: h.clock) { request, _ in
            guard case .http(let r) = request, r.url.exposedValue.contains("SECRET-TOKEN") else { return .status(204) }
            return .status(status, headers: ["Via": "1.1 google"], body: #"{"message": "Unknown Webhook", "code": 10015}"#)
        }
        try h.enqueue(h.batches(0..<3), for: gone)
        let d = try h.delivery(gone, transport)
        let task = await h.run(d)
        h.clock.advance(by: .seconds(3600))  // an hour on, still nothing (and no expiry yet)
        d.wake()
        #expect(await h.clock.sleepers() == [nil])
        await h.stop(d, task)
        #expect(transport.sent.count == 1, "a gone webhook is not hammered")
        #expect(d.state.disabledReason != nil)
        #expect(try h.statuses() == ["dead", "pending", "pending"])
        #expect(!String(describing: try h.store.allNotifierStates()).contains("SECRET-TOKEN"))

        // Restarted with the same URL: still disabled.
        let again = try h.delivery(gone, transport)
        await h.stop(again, await h.run(again))
        #expect(transport.sent.count == 1)
        // A new URL: enabled again, the held messages go out.
        var fixed = gone.settings
        fixed.webhookURL = Secret("https://discord.com/api/webhooks/2/NEW-TOKEN")
        let repaired = try h.delivery(DiscordNotifier(config: fixed), transport)
        await h.stop(repaired, await h.run(repaired))
        #expect(transport.sent.count == 3)
        #expect(try h.statuses() == ["dead", "delivered", "delivered"])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")))
    func anUnreadableRowIsDeadLetteredWithItsReasonAndTheRestGoesOut() async throws {
        let h = try DeliveryHarness()
        let ids = try h.enqueue(h.batches(0..<2), for: webhook())
        let db = try DatabaseFile(h.dir.path + "/crier.db")
        try db.execute("UPDATE outbox SET batch = '{\"version\": 7}' WHERE id = \(ids[0])")
        let transport = ScriptedTransport(clock: h.clock, status: 204)
        let d = try h.delivery(webhook(), transport)
        await h.stop(d, await h.run(d))
        #expect(transport.sent.count == 1)
        let dead = try #require(try h.store.history(status: .dead).first)
        #expect(dead.id == ids[0] && dead.lastError == "unreadable: written by a newer crier (format version 7, this crier reads up to 1)")
    }
}

@Suite struct DeliveryStormAndEditTests {
    @Test func aBackedUpQueueIsFoldedIntoOneSummary() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock, status: 204)
        try h.enqueue((0..<120).map { h.batch(group: UInt64($0 % 40), count: 5) }, for: discord())
        let d = try h.delivery(discord(), transport)
        await h.stop(d, await h.run(d))
        #expect(transport.sent.count == 1)
        #expect(transport.sent[0].bodyText.contains("600 alerts in 40 groups"))
        let rows = try h.store.history(limit: 1_000)
        #expect(rows.filter { $0.status == .merged }.count == 120)
        #expect(rows.filter { $0.status == .delivered }.map(\.count) == [600])
        #expect(rows.first { $0.status == .delivered }?.kind == .stormSummary)
    }

    /// A storm summary still waiting when crier stops must not become one line of a new
    /// summary ("21× 21 alerts in 21 groups"): its groups are named again.
    @Test func aPendingSummaryIsNotFoldedIntoANewSummary() async throws {
        let h = try DeliveryHarness()
        let n = discord()
        let failing = ScriptedTransport(clock: h.clock, status: 500)
        try h.enqueue(h.batches(0..<21), for: n)
        let before = try h.delivery(n, failing)
        let task = Task { _ = try? await before.run() }
        before.wake()
        _ = await h.clock.sleepers()  // folded into a summary, which failed once (500)
        await h.stop(before, task)
        #expect(failing.sent.count == 1 && failing.sent[0].bodyText.contains("21 alerts in 21 groups"))
        // Restart: 20 more groups arrive; the webhook works again.
        try h.enqueue(h.batches(100..<120), for: n)
        let working = ScriptedTransport(clock: h.clock, status: 204)
        let after = try h.delivery(n, working)
        await h.stop(after, await h.run(after))
        let body = try #require(working.sent.last?.bodyText)
        #expect(working.sent.count == 1)
        #expect(body.contains("41 alerts in 41 groups"), "\(body)")
        #expect(!body.contains("alerts in 21 groups"), "a summary folded into a summary: \(body)")
        // Discord shows log text Markdown-escaped (`\(group 7\)`): read it as the room does.
        let shown = body.filter { $0 != "\\" }
        let missing = (Array(0..<21) + Array(100..<120)).filter { !shown.contains("(group \($0))") }
        #expect(missing.isEmpty, "groups never named: \(missing)")
    }

    @Test func aContinuingBurstEditsItsMessageAndANewEpisodePostsANewOne() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock) { _, _ in discordOK }
        let n = discord()
        try h.enqueue([h.batch(group: 7)], for: n)
        let d = try h.delivery(n, transport)
        let task = await h.run(d)
        try h.enqueue([h.batch(group: 7, count: 40, reason: .burst)], for: n)
        d.wake()
        await h.clock.runUntilIdle()
        try h.enqueue([h.batch(group: 7, count: 3, reason: .burst, episode: h.at(3600))], for: n)
        d.wake()
        await h.clock.runUntilIdle()
        await h.stop(d, task)
        let requests = transport.sent.compactMap(\.http)
        #expect(requests.map(\.method) == [.post, .patch, .post])
        #expect(requests[0].url.exposedValue == "https://discord.com/api/webhooks/1/SECRET-TOKEN?wait=true")
        #expect(requests[1].url.exposedValue == "https://discord.com/api/webhooks/1/SECRET-TOKEN/messages/111")
        #expect(try h.statuses() == ["delivered", "delivered", "delivered"])
    }

    @Test func updateNewPostsEachTimeAndADeletedMessageIsPostedAnew() async throws {
        for update in [NotifierConfig.UpdateMode.new, .edit] {
            let h = try DeliveryHarness()
            let transport = ScriptedTransport(clock: h.clock) { request, _ in
                guard case .http(let r) = request, r.method == .patch else { return discordOK }
                return .status(404, headers: ["Via": "1.1 google"], body: #"{"message": "Unknown Message", "code": 10008}"#)
            }
            let n = discord(update: update)
            try h.enqueue([h.batch(group: 1)], for: n)
            let d = try h.delivery(n, transport)
            let task = await h.run(d)
            try h.enqueue([h.batch(group: 1, count: 3, reason: .burst)], for: n)
            d.wake()
            await h.clock.runUntilIdle()
            await h.stop(d, task)
            let methods = transport.sent.compactMap(\.http).map(\.method)
            #expect(methods == (update == .new ? [.post, .post] : [.post, .patch, .post]), "\(update)")
            #expect(d.state.disabledReason == nil, "a deleted message does not disable the webhook")
            #expect(try h.statuses() == ["delivered", "delivered"])
        }
    }
}

@Suite struct DeliveryStopTests {
    /// `producer | crier`: at the end of input what is due within a minute goes out, paced.
    @Test func anEndedInputDrainsForAMinuteWithinThePacing() async throws {
        let h = try DeliveryHarness()
        let n = webhook(rate: RateLimitConfig(perSecond: 0.05))
        let transport = ScriptedTransport(clock: h.clock, status: 204)
        try h.enqueue(h.batches(0..<6), for: n)
        let d = try h.delivery(n, transport)
        let task = Task { _ = try? await d.run() }
        d.requestStop(.drain(until: h.at(60)))
        for deadline in [20.0, 40, 60] {
            #expect(await h.clock.sleepers() == [h.at(deadline)])
            h.clock.advance(to: h.at(deadline))
        }
        await task.value  // the next one (80 s) is past the drain's minute
        #expect(transport.times == [0, 20, 40, 60].map(h.at))
        #expect(try h.store.waitingCount(notifier: n.name) == 2)
    }

    /// SIGTERM: the request in flight finishes and is recorded; nothing else is sent.
    @Test func aStopFinishesOnlyTheRequestInFlight() async throws {
        let h = try DeliveryHarness()
        let release = DispatchSemaphore(value: 0)
        let transport = ScriptedTransport(clock: h.clock) { _, _ in
            release.wait()
            return .status(204)
        }
        try h.enqueue(h.batches(0..<3), for: webhook())
        let d = try h.delivery(webhook(), transport)
        let task = Task { _ = try? await d.run() }
        d.wake()
        await transport.requests(1)
        d.requestStop(.now)
        release.signal()
        await task.value
        #expect(transport.sent.count == 1)
        #expect(try h.statuses() == ["delivered", "pending", "pending"])
    }

    /// `status`, the replay sender and the admin server read a delivery's state while it
    /// delivers, from other threads (run under ThreadSanitizer: no race).
    @Test func theStateIsReadFromOtherThreadsWhileItChanges() async throws {
        let h = try DeliveryHarness()
        let transport = ScriptedTransport(clock: h.clock) { _, i in i % 2 == 0 ? .status(502) : .status(204) }
        try h.enqueue(h.batches(0..<6), for: webhook())
        let d = try h.delivery(webhook(), transport, jitter: 0)
        let reader = StateReader(d)
        let task = await h.run(d)
        let reads = reader.stop()
        await h.stop(d, task)
        #expect(reads > 0)
        #expect(transport.sent.count == 12)
        #expect(try h.statuses().allSatisfy { $0 == "delivered" })
    }
}

/// Against real loopback servers through libcurl, on real time (no waits: within the limits).
@Suite struct DeliveryLoopbackTests {
    func live(_ notifier: any Notifier, _ h: DeliveryHarness,
              progress: @escaping @Sendable (NotifierDelivery.Progress) -> Void) throws -> NotifierDelivery {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try NotifierDelivery(notifier: notifier, store: h.store, shared: h.shared, clock: LiveDeliveryClock(), logger: logger,
                                    makeTransport: { CurlTransport() }, progress: progress)
    }

    @Test func postsWithWaitThenEditsTheMessageWhileTheBurstContinues() async throws {
        let server = try FakeWebhookServer { _ in .respond(status: 200, headers: [("Via", "1.1 google")], body: #"{"id": "111"}"#) }
        let h = try DeliveryHarness()
        let n = discord(server.url)
        let (attempts, signal) = AsyncStream<Int64>.makeStream()
        let d = try live(n, h) { if case .attempted(let id, _) = $0 { signal.yield(id) } }
        let task = Task { _ = try? await d.run() }
        var seen = attempts.makeAsyncIterator()
        try h.enqueue([h.batch(group: 7)], for: n, at: WallClock.now())
        d.wake()
        _ = await seen.next()
        try h.enqueue([h.batch(group: 7, count: 40, reason: .burst)], for: n, at: WallClock.now())
        d.wake()
        _ = await seen.next()
        await h.stop(d, task)
        let requests = server.requests
        #expect(requests.map(\.method) == ["POST", "PATCH"])
        #expect(requests[0].path == "/api/webhooks/1/SECRET-TOKEN" && requests[0].query == "wait=true")
        #expect(requests[1].path == "/api/webhooks/1/SECRET-TOKEN/messages/111")
        #expect(try h.statuses() == ["delivered", "delivered"])
    }

    @Test func slackInvalidBlocksFallsBackToText() async throws {
        let server = try FakeWebhookServer { r in
            r.bodyText.contains("\"blocks\"") ? .respond(status: 400, body: "invalid_blocks") : .respond(status: 200, body: "ok")
        }
        let n = SlackNotifier(config: SlackConfig(name: "slack", webhookURL: Secret(server.url + "/services/T1/B2/XYZ")))
        let h = try DeliveryHarness()
        let (attempts, signal) = AsyncStream<Int64>.makeStream()
        let d = try live(n, h) { if case .attempted(let id, _) = $0 { signal.yield(id) } }
        try h.enqueue([h.batch(group: 3)], for: n, at: WallClock.now())
        let task = Task { _ = try? await d.run() }
        d.wake()
        var seen = attempts.makeAsyncIterator()
        _ = await seen.next()
        await h.stop(d, task)
        #expect(server.requests.count == 2)
        let text = (server.requests.last?.json as? [String: Any])?["text"] as? String
        #expect(text?.contains("Task render failed (group 3)") == true)
        #expect(try h.statuses() == ["delivered"])
        #expect(try h.store.history().first?.lastError?.contains("invalid_blocks") == true)
    }
}

/// Reads a delivery's state in a loop on a thread of its own, as `crier status` would.
final class StateReader: Sendable {
    private let done = Mutex(false)
    private let reads = Mutex(0)
    private let finished = DispatchSemaphore(value: 0)

    init(_ delivery: NotifierDelivery) {
        Thread.detachNewThread { [self] in
            while !done.withLock({ $0 }) {
                let state = delivery.state
                reads.withLock { $0 += state.breaker.threshold > 0 ? 1 : 0 }
            }
            finished.signal()
        }
    }

    /// Stops the thread; returns how many reads it made.
    func stop() -> Int {
        done.withLock { $0 = true }
        finished.wait()
        return reads.withLock { $0 }
    }
}

/// The state file changed directly, as a user's sqlite3 would.
struct DatabaseFile {
    let path: String
    init(_ path: String) throws { self.path = path }

    func execute(_ statement: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, statement]
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw CocoaError(.fileWriteUnknown) }
    }
}
