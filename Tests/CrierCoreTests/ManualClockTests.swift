import CrierCore
import CrierTestSupport
import Testing

/// The test clock itself: a sleeper wakes exactly at its deadline, or at a ring, never by
/// real time.
@Suite struct ManualClockTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)

    @Test func aSleeperWakesWhenTheClockReachesItsDeadlineAndNotBefore() async {
        let clock = ManualClock(t0)
        let bell = Doorbell()
        let woke = Task { () -> Timestamp in
            await clock.sleep(until: t0 + .seconds(5), bell: bell)
            return clock.now()
        }
        #expect(await clock.sleepers() == [t0 + .seconds(5)])
        clock.advance(to: t0 + .milliseconds(4_999))
        #expect(await clock.sleepers() == [t0 + .seconds(5)], "one microsecond early is still asleep")
        clock.advance(by: .milliseconds(1))
        #expect(await woke.value == t0 + .seconds(5))
    }

    @Test func aRingWakesASleeperAndARingWhileAwakeIsKept() async {
        let clock = ManualClock(t0)
        let bell = Doorbell()
        let idle = Task { await clock.sleep(until: nil, bell: bell) }
        #expect(await clock.sleepers() == [nil])
        bell.ring()
        await idle.value
        #expect(clock.now() == t0)
        bell.ring()  // nobody sleeps: the next sleep returns at once
        await clock.sleep(until: t0 + .seconds(60), bell: bell)
        #expect(clock.now() == t0)
    }

    @Test func aDeadlineAlreadyPassedDoesNotSleep() async {
        let clock = ManualClock(t0 + .seconds(10))
        await clock.sleep(until: t0, bell: Doorbell())
        #expect(clock.now() == t0 + .seconds(10))
    }

    @Test func scriptedTransportRecordsTheManualTimeOfEachRequest() {
        let clock = ManualClock(t0)
        let transport = ScriptedTransport(clock: clock) { _, index in index == 0 ? .status(429, headers: ["Retry-After": "1"]) : .printed }
        guard case .http(.success(let first)) = transport.send(.console("a")) else {
            Issue.record("the script's first answer")
            return
        }
        #expect(first.status == 429 && first.headers["retry-after"] == "1")
        clock.advance(by: .seconds(3))
        guard case .printed = transport.send(.console("b")) else {
            Issue.record("the script's second answer")
            return
        }
        #expect(transport.times == [t0, t0 + .seconds(3)])
        #expect(transport.sent.map(\.bodyText) == ["a", "b"])
    }
}
