import Foundation
import Testing

@testable import CrierCore

@Suite struct SendRateLimiterTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)

    @Test func discordLikeLimitsAreNeverExceededInAnyWindow() {
        // 5 per 2 s and 30 per minute (Discord's observed webhook and channel limits).
        var limiter = SendRateLimiter(windows: [.init(count: 5, length: .seconds(2)), .init(count: 30, length: .seconds(60))])
        var sends: [Timestamp] = []
        var now = t0
        while sends.count < 100 {
            now = limiter.nextAllowed(now: now)
            limiter.record(sendAt: now)
            sends.append(now)
        }
        for (i, s) in sends.enumerated() {
            #expect(sends[i...].prefix { $0 < s + .seconds(2) }.count <= 5)
            #expect(sends[i...].prefix { $0 < s + .seconds(60) }.count <= 30)
        }
        // 100 sends at 30/min take a bit over three minutes: the limiter does not starve either.
        #expect(sends.last! - sends.first! < .seconds(200))
    }

    @Test func configuredRatesBecomeWindows() {
        var c = RateLimitConfig()
        c.perSecond = 0.5
        c.perMinute = 20
        c.burst = 3
        let limiter = SendRateLimiter(c)
        #expect(limiter.windows.map(\.count) == [1, 20, 3])
        #expect(limiter.windows[0].length == .seconds(2))
    }
}

@Suite struct RetryPolicyTests {
    @Test func fullJitterUnderAnExponentialCeiling() {
        let p = RetryPolicy()
        #expect(p.delay(afterAttempt: 0, unit: 1) == .seconds(1))
        #expect(p.delay(afterAttempt: 3, unit: 1) == .seconds(8))
        #expect(p.delay(afterAttempt: 3, unit: 0.5) == .seconds(4))
        #expect(p.delay(afterAttempt: 30, unit: 1) == .seconds(300))  // capped
        #expect(p.delay(afterAttempt: 5, unit: 0) == .zero)
        let t = Timestamp(seconds: 1_000_000)
        #expect(!p.expired(createdAt: t, now: t + .seconds(86_399)))
        #expect(p.expired(createdAt: t, now: t + .seconds(86_400)))
    }
}

@Suite struct CircuitBreakerTests {
    @Test func opensAfterFiveFailuresProbesAfterAMinuteAndCloses() {
        let t0 = Timestamp(seconds: 1_000)
        var b = CircuitBreaker()
        for i in 0..<4 {
            #expect(b.allowedAt(now: t0) == t0)
            b.failed(now: t0 + .seconds(Int64(i)))
        }
        #expect(b.label == "closed")
        b.failed(now: t0 + .seconds(4))
        #expect(b.label == "open")
        #expect(b.allowedAt(now: t0 + .seconds(10)) == t0 + .seconds(64))
        // Half-open: one probe at a time.
        #expect(b.allowedAt(now: t0 + .seconds(64)) == t0 + .seconds(64))
        b.willSend()
        #expect(b.allowedAt(now: t0 + .seconds(65)) == nil)
        b.failed(now: t0 + .seconds(65))
        #expect(b.allowedAt(now: t0 + .seconds(66)) == t0 + .seconds(125))
        _ = b.allowedAt(now: t0 + .seconds(125))
        b.willSend()
        b.succeeded()
        #expect(b.label == "closed")
        #expect(b.allowedAt(now: t0 + .seconds(126)) == t0 + .seconds(126))
    }

    @Test func aProbeSavedInFlightDoesNotBlockAfterARestart() throws {
        let t0 = Timestamp(seconds: 1_000)
        var b = CircuitBreaker(threshold: 1)
        b.failed(now: t0)
        _ = b.allowedAt(now: t0 + .seconds(60))
        b.willSend()
        var saved = try JSONDecoder().decode(CircuitBreaker.self, from: JSONEncoder().encode(b))
        #expect(saved.allowedAt(now: t0 + .seconds(61)) == nil, "as saved, it waits for an answer that will never come")
        saved.restored()
        #expect(saved.allowedAt(now: t0 + .seconds(61)) == t0 + .seconds(61))
    }
}

@Suite struct StormControlTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)

    func batch(_ group: UInt64, count: Int, reason: BatchReason = .burst, severity: Severity = .warning) -> AlertBatch {
        let alert = Alert(rule: "sshd.failed_password", severity: severity, title: "SSH login failures from 10.0.0.\(group)",
                          body: "b", fingerprint: Fingerprint(value: group), timestamp: t0)
        return AlertBatch(fingerprint: Fingerprint(value: group), rule: alert.rule, severity: severity, labels: [],
                          reason: reason, alerts: [alert], count: count, firstSeen: t0, lastSeen: t0 + .seconds(Int64(count)),
                          decidedAt: t0, episodeCount: count, episodeStart: t0)
    }

    @Test func belowTheThresholdNothingChanges() {
        let pending = (0..<20).map { (id: Int64($0), batch: batch(UInt64($0 % 3), count: 1)) }
        #expect(StormControl.plan(pending, threshold: 20).isEmpty)
    }

    @Test func sameGroupMessagesFoldFirst() {
        let pending = (0..<30).map { (id: Int64($0), batch: batch(UInt64($0 % 3), count: 2, reason: $0 < 3 ? .first : .burst)) }
        let plan = StormControl.plan(pending, threshold: 20)
        #expect(plan.count == 3)
        #expect(plan.map(\.batch.count) == [20, 20, 20])
        #expect(plan.allSatisfy { $0.batch.reason == .first })
        #expect(Set(plan.flatMap(\.sources)) == Set((0..<30).map(Int64.init)))
    }

    @Test func manyGroupsBecomeOneSummaryThatCountsEverything() {
        let pending = (0..<60).map { (id: Int64($0), batch: batch(UInt64($0 % 40), count: $0 + 1, severity: $0 == 7 ? .critical : .warning)) }
        let plan = StormControl.plan(pending, threshold: 20)
        #expect(plan.count == 1)
        let s = plan[0].batch
        #expect(s.count == (1...60).reduce(0, +))
        #expect(s.severity == .critical)
        #expect(s.alerts[0].title == "1,830 alerts in 40 groups")
        #expect(s.alerts[0].body.split(separator: "\n").count == 40)  // every group by name
        #expect(plan[0].sources.count == 60)
    }
}
