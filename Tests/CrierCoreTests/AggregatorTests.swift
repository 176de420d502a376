import Testing

@testable import CrierCore

/// Timelines on a manual clock: every time below is given, none is read.
@Suite struct AggregatorTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)
    let info = GroupInfo(rule: "celery.task_failed", severity: .error, labels: [Label("task", "render")],
                         timing: GroupTiming(groupWait: .zero, groupInterval: .seconds(300), repeatInterval: .seconds(4 * 3600)))
    let fp = Fingerprint(value: 42)

    func ingest(_ a: inout Aggregator<Int>, at t: Timestamp, sample: Int, info: GroupInfo? = nil, fp: Fingerprint? = nil,
                emit: (GroupFlush<Int>) -> Void) {
        a.advance(to: t, emit: emit)
        a.ingest(fp ?? self.fp, at: t, now: t, info: { info ?? self.info }, sample: { sample })
        a.advance(to: t, emit: emit)
    }

    @Test func tenThousandFailuresInOneSecondAreOneFirstAndOneBurst() {
        var a = Aggregator<Int>(maxSamples: 5)
        var out: [GroupFlush<Int>] = []
        for i in 0..<10_000 {
            ingest(&a, at: t0 + .microseconds(Int64(i) * 100), sample: i) { out.append($0) }
        }
        a.flushPending { out.append($0) }
        #expect(out.map(\.reason) == [.first, .burst])
        #expect(out.map(\.count) == [1, 9_999])
        #expect(out[0].decidedAt == t0)
        #expect(out[1].decidedAt == t0 + .seconds(300))
        #expect(out[1].samples == [1, 2, 3, 4, 5])
        #expect(out[1].firstSeen == t0 + .microseconds(100))
        #expect(out[1].lastSeen == t0 + .microseconds(999_900))
        #expect(out[1].episodeCount == 10_000)
        #expect(out[1].previousMessageAt == t0)
    }

    @Test func groupWaitFoldsTheWholeBurstIntoTheFirstMessage() {
        var timing = info.timing
        timing.groupWait = .seconds(10)
        let waiting = GroupInfo(rule: info.rule, severity: .error, labels: [], timing: timing)
        var a = Aggregator<Int>()
        var out: [GroupFlush<Int>] = []
        for i in 0..<10_000 {
            ingest(&a, at: t0 + .microseconds(Int64(i) * 100), sample: i, info: waiting) { out.append($0) }
        }
        #expect(out.isEmpty)
        #expect(a.nextDeadline == t0 + .seconds(10))
        a.advance(to: t0 + .seconds(10)) { out.append($0) }
        #expect(out.map(\.reason) == [.first])
        #expect(out[0].count == 10_000)
        #expect(out[0].samples.count == 5)
    }

    @Test func continuingGroupSendsAtMostOncePerIntervalThenRepeats() {
        var a = Aggregator<Int>()
        var out: [GroupFlush<Int>] = []
        // One occurrence a minute for five hours.
        for minute in 0..<300 {
            ingest(&a, at: t0 + .seconds(Int64(minute) * 60), sample: minute) { out.append($0) }
        }
        a.flushPending { out.append($0) }
        let gaps = zip(out.dropFirst(), out).map { $0.decidedAt - $1.decidedAt }
        #expect(gaps.allSatisfy { $0 >= .seconds(300) })
        #expect(out.first?.reason == .first)
        // The 4 h repeat interval makes one fresh post (repeat) among the bursts.
        #expect(out.filter { $0.reason == .repeat }.count == 1)
        #expect(out.reduce(0) { $0 + $1.count } == 300)
    }

    @Test func quietGroupIsForgottenAndComesBackAsFirst() {
        var a = Aggregator<Int>()
        var out: [GroupFlush<Int>] = []
        ingest(&a, at: t0, sample: 1) { out.append($0) }
        #expect(a.groupCount == 1)
        let later = t0 + .seconds(5 * 3600)
        a.advance(to: later) { out.append($0) }
        #expect(a.groupCount == 0)
        ingest(&a, at: later, sample: 2) { out.append($0) }
        #expect(out.map(\.reason) == [.first, .first])
    }

    @Test func recurrenceAfterAnIntervalGoesOutAtOnce() {
        var a = Aggregator<Int>()
        var out: [GroupFlush<Int>] = []
        ingest(&a, at: t0, sample: 1) { out.append($0) }
        ingest(&a, at: t0 + .seconds(3600), sample: 2) { out.append($0) }
        #expect(out.map(\.reason) == [.first, .burst])
        #expect(out[1].decidedAt == t0 + .seconds(3600))
    }

    @Test func groupsAreIndependentAndDeadlinesOrdered() {
        var a = Aggregator<Int>()
        var out: [GroupFlush<Int>] = []
        var timing = info.timing
        timing.groupWait = .seconds(30)
        let slow = GroupInfo(rule: "b", severity: .warning, labels: [], timing: timing)
        ingest(&a, at: t0, sample: 1, info: slow, fp: Fingerprint(value: 1)) { out.append($0) }
        ingest(&a, at: t0 + .seconds(1), sample: 2, fp: Fingerprint(value: 2)) { out.append($0) }
        a.advance(to: t0 + .seconds(60)) { out.append($0) }
        #expect(out.map(\.fingerprint.value) == [2, 1])
        #expect(out.map(\.decidedAt) == [t0 + .seconds(1), t0 + .seconds(30)])
    }
}
