import CrierCore
import CrierNotifiers
import CrierStore
import CrierTestSupport
import Foundation
import Logging
import Testing

@testable import CrierRuntime
import CrierPlatform

/// Attempts as the worker reports them; tests wait on these, not on the clock.
final class AttemptLog: @unchecked Sendable {
    private let condition = NSCondition()
    private(set) var outcomes: [(Int64, DeliveryOutcome)] = []

    func record(_ id: Int64, _ outcome: DeliveryOutcome) {
        condition.withLock {
            outcomes.append((id, outcome))
            condition.broadcast()
        }
    }

    @discardableResult
    func waitFor(_ count: Int, timeout: Double = 60) -> Bool { condition.wait(seconds: timeout) { outcomes.count >= count } }

    var snapshot: [(Int64, DeliveryOutcome)] { condition.withLock { outcomes } }
}

struct DeliveryHarness {
    let dir = TempDirectory()
    let store: StateStore
    let t0 = WallClock.now()

    init() throws { store = try StateStore(directory: dir.path) }

    func batch(group: UInt64, count: Int = 1, reason: BatchReason = .first, episode: Timestamp? = nil) -> AlertBatch {
        let alert = Alert(rule: "celery.task_failed", severity: .error, title: "Task render failed (group \(group))",
                          body: "TimeoutError('upstream')", fingerprint: Fingerprint(value: group), timestamp: t0)
        return AlertBatch(fingerprint: Fingerprint(value: group), rule: "celery.task_failed", severity: .error, labels: [],
                          reason: reason, alerts: [alert], count: count, firstSeen: t0, lastSeen: t0, decidedAt: t0,
                          episodeCount: count, episodeStart: episode ?? t0)
    }

    /// Queues batches for a notifier, rendered as the pipeline would.
    @discardableResult
    func enqueue(_ batches: [AlertBatch], for notifier: any Notifier) throws -> [Int64] {
        var changes = StateStore.Changes(now: WallClock.now())
        changes.outbox = batches.map {
            OutboxEntry(notifier: notifier.name, kind: notifier.kind.rawValue, batch: $0, title: BatchSummary.headline($0),
                        payload: notifier.render($0).body.encoded)
        }
        return try store.commit(changes)
    }

    func worker(_ notifier: any Notifier, log: AttemptLog, shared: SharedLimits = SharedLimits()) throws -> DeliveryWorker {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let worker = try DeliveryWorker(notifier: notifier, store: store, shared: shared, logger: logger) { CurlTransport() }
        worker.onAttempt = { log.record($0, $1) }
        worker.retry.base = .milliseconds(20)
        worker.retry.cap = .milliseconds(100)
        return worker
    }

    func statuses() throws -> [String] { try store.allOutbox().map(\.status) }
}

func discord(_ url: String, name: String = "discord", update: NotifierConfig.UpdateMode = .edit,
             rate: RateLimitConfig? = nil) -> DiscordNotifier {
    var c = DiscordConfig(name: name, webhookURL: Secret(url + "/api/webhooks/1/SECRET-TOKEN"))
    c.update = update
    c.common.rateLimit = rate
    return DiscordNotifier(config: c)
}

@Suite struct DeliveryWorkerTests {
    @Test func postsWithWaitThenEditsTheMessageWhileTheBurstContinues() throws {
        let server = try FakeWebhookServer { r in
            r.method == "POST" ? .respond(status: 200, headers: [("Via", "1.1 google")], body: #"{"id": "111"}"#)
                : .respond(status: 200, body: #"{"id": "111"}"#)
        }
        let h = try DeliveryHarness()
        let n = discord(server.url)
        let log = AttemptLog()
        let worker = try h.worker(n, log: log)
        worker.start()
        defer { worker.stopAndWait() }
        try h.enqueue([h.batch(group: 7, count: 1)], for: n)
        worker.wake()
        #expect(log.waitFor(1))
        try h.enqueue([h.batch(group: 7, count: 40, reason: .burst)], for: n)
        worker.wake()
        #expect(log.waitFor(2))
        let requests = server.requests
        #expect(requests.map(\.method) == ["POST", "PATCH"])
        #expect(requests[0].path == "/api/webhooks/1/SECRET-TOKEN" && requests[0].query == "wait=true")
        #expect(requests[1].path == "/api/webhooks/1/SECRET-TOKEN/messages/111")
        #expect(try h.statuses() == ["delivered", "delivered"])
    }

    @Test func aDeletedMessageIsPostedAnewAndANewEpisodeIsANewMessage() throws {
        let server = try FakeWebhookServer { r in
            r.method == "PATCH" ? .respond(status: 404, body: #"{"message": "Unknown Message", "code": 10008}"#)
                : .respond(status: 200, body: #"{"id": "\#(r.index)"}"#)
        }
        let h = try DeliveryHarness()
        let n = discord(server.url)
        let log = AttemptLog()
        let worker = try h.worker(n, log: log)
        worker.start()
        defer { worker.stopAndWait() }
        try h.enqueue([h.batch(group: 1)], for: n)
        worker.wake()
        #expect(log.waitFor(1))
        try h.enqueue([h.batch(group: 1, count: 3, reason: .burst)], for: n)
        worker.wake()
        #expect(log.waitFor(2))
        #expect(server.requests.map(\.method) == ["POST", "PATCH", "POST"])
        #expect(worker.currentState.disabledReason == nil)
    }

    @Test func a429IsObeyedNothingIsSentInsideTheWindow() throws {
        let server = try FakeWebhookServer { r in
            r.index == 0 ? .respond(status: 429, headers: [("Via", "1.1 google"), ("Retry-After", "1")],
                                    body: #"{"message": "You are being rate limited.", "retry_after": 0.4, "global": false}"#)
                : .respond(status: 204)
        }
        let h = try DeliveryHarness()
        let n = discord(server.url)
        let log = AttemptLog()
        let worker = try h.worker(n, log: log)
        worker.start()
        defer { worker.stopAndWait() }
        try h.enqueue([h.batch(group: 1), h.batch(group: 2)], for: n)
        worker.wake()
        #expect(log.waitFor(3))
        let r = server.requests
        #expect(r.count == 3)
        // The header says 1 s (rounded up from 0.4): the larger wait is obeyed.
        #expect(r[1].receivedAt - r[0].receivedAt >= 1.0)
        #expect(try h.statuses() == ["delivered", "delivered"])
    }

    @Test func learnedRemainingZeroHoldsUntilTheReset() throws {
        let server = try FakeWebhookServer { _ in
            .respond(status: 204, headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "0.5"),
                                            ("X-RateLimit-Bucket", "b1")])
        }
        let h = try DeliveryHarness()
        let n = discord(server.url)
        let log = AttemptLog()
        let worker = try h.worker(n, log: log)
        worker.start()
        defer { worker.stopAndWait() }
        try h.enqueue([h.batch(group: 1), h.batch(group: 2), h.batch(group: 3)], for: n)
        worker.wake()
        #expect(log.waitFor(3))
        let r = server.requests
        #expect(r[1].receivedAt - r[0].receivedAt >= 0.5 && r[2].receivedAt - r[1].receivedAt >= 0.5)
        #expect(worker.currentState.learned?.bucket == "b1")
    }

    @Test func serverErrorsAreRetriedAndTheBreakerOpens() throws {
        let server = try FakeWebhookServer { r in r.index < 4 ? .respond(status: 502, body: "<html>bad gateway</html>") : .respond(status: 204) }
        let h = try DeliveryHarness()
        let n = discord(server.url)
        let log = AttemptLog()
        let worker = try h.worker(n, log: log)
        worker.setBreaker(CircuitBreaker(threshold: 3, openFor: .milliseconds(400)))
        worker.start()
        defer { worker.stopAndWait() }
        try h.enqueue([h.batch(group: 1)], for: n)
        worker.wake()
        #expect(log.waitFor(5))
        let r = server.requests
        #expect(r.count == 5)
        // After the third failure the breaker opened: the fourth attempt waited for it.
        #expect(r[3].receivedAt - r[2].receivedAt >= 0.4)
        let row = try h.store.history().first!
        #expect(row.status == "delivered" && row.attempts == 5)
    }

    @Test func aRefusedPayloadIsTriedOnceAsPlainTextThenDeadAndTheQueueGoesOn() throws {
        // Group 1's payloads are refused in every form; group 2's rich form is refused.
        let server = try FakeWebhookServer { r in
            r.bodyText.contains("group 1") || r.bodyText.contains("embeds")
                ? .respond(status: 400, body: #"{"code": 50035, "message": "Invalid Form Body"}"#) : .respond(status: 204)
        }
        let h = try DeliveryHarness()
        let n = discord(server.url)
        let log = AttemptLog()
        let worker = try h.worker(n, log: log)
        worker.start()
        defer { worker.stopAndWait() }
        try h.enqueue([h.batch(group: 1), h.batch(group: 2)], for: n)
        worker.wake()
        #expect(log.waitFor(2))
        let bodies = server.requests.map { $0.json as? [String: Any] ?? [:] }
        #expect(bodies.count == 4, "each row: the rich form, then plain text once")
        #expect(bodies[1]["content"] is String && bodies[1]["embeds"] == nil)
        #expect(try h.statuses() == ["dead", "delivered"])
        let history = try h.store.history()
        #expect(history.first { $0.status == "dead" }?.lastError?.contains("bad_payload") == true)
        #expect(history.first { $0.status == "delivered" }?.lastError?.contains("sent as plain text") == true)
    }

    @Test func slackInvalidBlocksFallsBackToText() throws {
        let server = try FakeWebhookServer { r in
            r.bodyText.contains("\"blocks\"") ? .respond(status: 400, body: "invalid_blocks") : .respond(status: 200, body: "ok")
        }
        let c = SlackConfig(name: "slack", webhookURL: Secret(server.url + "/services/T1/B2/XYZ"))
        let n = SlackNotifier(config: c)
        let h = try DeliveryHarness()
        let log = AttemptLog()
        let worker = try h.worker(n, log: log)
        worker.start()
        defer { worker.stopAndWait() }
        try h.enqueue([h.batch(group: 3)], for: n)
        worker.wake()
        #expect(log.waitFor(1))
        #expect(server.requests.count == 2)
        let text = (server.requests.last?.json as? [String: Any])?["text"] as? String
        #expect(text?.contains("Task render failed (group 3)") == true)
        #expect(try h.statuses() == ["delivered"])
        #expect(try h.store.history().first?.lastError?.contains("invalid_blocks") == true)
    }

    @Test func unknownWebhookDisablesTheNotifierUntilItsURLChanges() throws {
        let server = try FakeWebhookServer { r in
            r.path.contains("SECRET-TOKEN") ? .respond(status: 404, body: #"{"message": "Unknown Webhook", "code": 10015}"#)
                : .respond(status: 204)
        }
        let h = try DeliveryHarness()
        let gone = discord(server.url)
        let log = AttemptLog()
        let worker = try h.worker(gone, log: log)
        worker.start()
        try h.enqueue([h.batch(group: 1), h.batch(group: 2), h.batch(group: 3)], for: gone)
        worker.wake()
        #expect(log.waitFor(1))
        worker.wake()
        worker.stopAndWait()
        #expect(server.requests.count == 1, "a gone webhook is not hammered")
        #expect(worker.currentState.disabledReason?.contains("unknown_webhook") == true)
        #expect(try h.statuses() == ["dead", "pending", "pending"])
        let status = try h.store.allNotifierStates().first!
        #expect(!String(describing: status).contains("SECRET-TOKEN"))

        // Same notifier, new URL: enabled again, the held messages go out.
        var fixed = gone.settings
        fixed.webhookURL = Secret(server.url + "/api/webhooks/2/NEW-TOKEN")
        let log2 = AttemptLog()
        let again = try h.worker(DiscordNotifier(config: fixed), log: log2)
        again.start()
        defer { again.stopAndWait() }
        again.wake()
        #expect(log2.waitFor(2))
        #expect(try h.statuses() == ["dead", "delivered", "delivered"])
    }

    @Test func aBackedUpQueueIsFoldedIntoASummary() throws {
        let server = try FakeWebhookServer { _ in .respond(status: 204) }
        let h = try DeliveryHarness()
        let n = discord(server.url)
        let log = AttemptLog()
        let worker = try h.worker(n, log: log)
        try h.enqueue((0..<120).map { h.batch(group: UInt64($0 % 40), count: 5) }, for: n)
        worker.start()
        defer { worker.stopAndWait() }
        worker.wake()
        #expect(log.waitFor(1))
        let body = server.requests[0].bodyText
        #expect(body.contains("600 alerts in 40 groups"))
        let rows = try h.store.allOutbox()
        #expect(rows.filter { $0.status == "merged" }.count == 120)
        #expect(rows.filter { $0.status == "delivered" }.map(\.count) == [600])
    }
}
