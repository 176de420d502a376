import CrierCore
import Testing

/// Compiles a pack's rules for these tests.
func compiledRules(_ text: String) throws -> RuleSet {
    let diagnostics = ConfigDiagnostics()
    let pack = try #require(PackDefinition.parse(text, file: "pack.yaml", fallbackName: "t", diagnostics: diagnostics))
    let rules = RuleSet.compile(pack.rules, defaults: .default, diagnostics: diagnostics)
    #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
    return rules
}

func record(_ message: String, at t: Timestamp, host: String = "w1") -> LogRecord {
    LogRecord(source: "test", position: .replay(line: 1), timestamp: t, format: .text, message: message, host: host)
}

@Suite struct CorrelatorTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)
    let pack = """
        pack: celery
        rules:
          - id: task_stuck
            start: {regex: 'Task (?<task>\\S+)\\[(?<task_id>\\w+)\\] received'}
            end: {regex: 'Task \\S+\\[(?<task_id>\\w+)\\] succeeded'}
            key: task_id
            timeout: 30m
            resolve: true
            state: queued
            max_open: 2
          - id: backup_missing
            expect: {regex: 'backup finished'}
            every: 24h
            resolve: true
        """

    final class Events {
        var all: [CorrelationEvent] = []
        var kinds: [String] {
            all.map {
                switch $0 {
                case .stuck(_, let k, _): "stuck \(k.key)"
                case .resolved(_, let k, _, _): "resolved \(k.key)"
                case .absent(_, _, let due): "absent \(due.civil.day)d\(due.civil.hour)h"
                case .back: "back"
                case .overflow(_, let key, _, _, let total): "overflow \(key) \(total)"
                }
            }
        }
    }

    @Test func aStartWithoutItsEndIsStuckAtItsDeadlineAndItsLateEndResolves() throws {
        let rules = try compiledRules(pack)
        let stuck = rules.rules[0]
        var c = Correlator(rules: rules.rules)
        let events = Events()
        c.start(stuck, key: "a", record: record("Task x[a] received", at: t0), captures: [], at: t0) { events.all.append($0) }
        c.start(stuck, key: "b", record: record("Task x[b] received", at: t0), captures: [], at: t0 + .seconds(60)) { events.all.append($0) }
        c.end(stuck, key: "a", record: record("Task x[a] succeeded", at: t0), at: t0 + .seconds(600)) { events.all.append($0) }
        #expect(c.nextDeadline == t0 + .seconds(60 + 1800))
        c.advance(to: t0 + .seconds(1859)) { events.all.append($0) }
        #expect(events.kinds.isEmpty, "not before its deadline")
        c.advance(to: t0 + .seconds(1860)) { events.all.append($0) }
        #expect(events.kinds == ["stuck b"])
        // Kept open (resolve) to announce the end.
        c.end(stuck, key: "b", record: record("Task x[b] succeeded", at: t0), at: t0 + .seconds(4000)) { events.all.append($0) }
        #expect(events.kinds == ["stuck b", "resolved b"])
        #expect(c.openKeys(stuck.id).isEmpty)
    }

    @Test func openKeysAreBoundedAndTheOverflowIsCounted() throws {
        let rules = try compiledRules(pack)
        let stuck = rules.rules[0]
        var c = Correlator(rules: rules.rules)
        let events = Events()
        for key in ["a", "b", "c", "d"] {
            c.start(stuck, key: key, record: record("r", at: t0), captures: [], at: t0) { events.all.append($0) }
        }
        #expect(events.kinds == ["overflow c 1", "overflow d 2"])
        #expect(c.openKeys(stuck.id).count == 2 && c.ruleState(stuck.id)?.overflow == 2)
    }

    @Test func stateSurvivesARestart() throws {
        let rules = try compiledRules(pack)
        let stuck = rules.rules[0]
        var c = Correlator(rules: rules.rules)
        c.watch(from: t0)
        c.start(stuck, key: "a", record: record("Task x[a] received", at: t0), captures: [Capture("task", "x")], at: t0) { _ in }
        let changes = c.takeChanges()
        #expect(changes.upserted.map(\.key.key) == ["a"] && changes.rules.count == 1)

        var restarted = Correlator(rules: rules.rules)
        restarted.restore(open: changes.upserted, rules: changes.rules)
        restarted.watch(from: t0 + .seconds(5))  // must not reset the absence watch
        let events = Events()
        restarted.advance(to: t0 + .seconds(1800)) { events.all.append($0) }
        #expect(events.kinds == ["stuck a"])
        #expect(restarted.ruleState("celery.backup_missing")?.absence?.watchingSince == t0)
    }

    @Test func anAbsenceIsReportedPerMissedPeriodAndItsReturnResolves() throws {
        let rules = try compiledRules(pack)
        let backup = rules.rules[1]
        var c = Correlator(rules: rules.rules)
        let events = Events()
        c.watch(from: t0)
        c.seen(backup, record: record("backup finished", at: t0), at: t0 + .seconds(3600)) { events.all.append($0) }
        // Next check: a day after the sighting (23rd 11:00 → 24th 11:00).
        c.advance(to: t0 + .seconds(86_400)) { events.all.append($0) }
        #expect(events.kinds.isEmpty)
        c.advance(to: t0 + .seconds(3 * 86_400 + 3600)) { events.all.append($0) }
        #expect(events.kinds == ["absent 24d11h", "absent 25d11h", "absent 26d11h"])
        c.seen(backup, record: record("backup finished", at: t0), at: t0 + .seconds(3 * 86_400 + 7200)) { events.all.append($0) }
        #expect(events.kinds.last == "back")
        guard case .back(_, let missingSince, _, _, _) = events.all.last! else { return }
        #expect(missingSince == t0 + .seconds(86_400 + 3600))
    }

    @Test func frequentSightingsKeepOneTimer() throws {
        let rules = try compiledRules(pack)
        let backup = rules.rules[1]
        var c = Correlator(rules: rules.rules)
        c.watch(from: t0)
        for i in 1...10_000 {
            c.seen(backup, record: record("backup finished", at: t0), at: t0 + .seconds(Int64(i))) { _ in }
        }
        let events = Events()
        c.advance(to: t0 + .seconds(86_400 + 9_999)) { events.all.append($0) }
        #expect(events.kinds.isEmpty, "the last sighting moved the check")
        c.advance(to: t0 + .seconds(86_400 + 10_000)) { events.all.append($0) }
        #expect(events.kinds == ["absent 24d12h"])
    }
}

@Suite struct CalendarScheduleTests {
    @Test func parsesDaysTimesAndZones() throws {
        let s = try CalendarSchedule.parse("mon,thu 09:30 Europe/Paris").get()
        #expect(s.weekdays == [1, 4] && s.hour == 9 && s.minute == 30 && s.zone == "Europe/Paris")
        #expect(try CalendarSchedule.parse("weekdays 08:00").get().weekdays == [1, 2, 3, 4, 5])
        #expect(try CalendarSchedule.parse("17:45").get().weekdays.count == 7)
        guard case .failure(let e) = CalendarSchedule.parse("someday 09:00") else { Issue.record("accepted"); return }
        #expect(e.message.contains("unknown day 'someday'"))
        guard case .failure = CalendarSchedule.parse("mon 9h") else { Issue.record("accepted 9h"); return }
    }

    @Test func nextAndPreviousMomentsFollowTheZone() throws {
        // 2026-11-23 is a Monday.
        let mon9 = try CalendarSchedule.parse("mon 09:00").get()
        let t = Timestamp(year: 2026, month: 11, day: 23, hour: 8, minute: 59)
        #expect(mon9.next(after: t, offset: CalendarSchedule.utc) == Timestamp(year: 2026, month: 11, day: 23, hour: 9))
        #expect(mon9.next(after: Timestamp(year: 2026, month: 11, day: 23, hour: 9), offset: CalendarSchedule.utc)
                == Timestamp(year: 2026, month: 11, day: 30, hour: 9))
        #expect(mon9.previous(atOrBefore: t, offset: CalendarSchedule.utc) == Timestamp(year: 2026, month: 11, day: 16, hour: 9))
        // One hour east of UTC: 09:00 local is 08:00 UTC.
        let plusOne: CalendarSchedule.ZoneOffset = { _, _ in 3600 }
        #expect(mon9.next(after: Timestamp(year: 2026, month: 11, day: 23), offset: plusOne)
                == Timestamp(year: 2026, month: 11, day: 23, hour: 8))
    }

    @Test func aWindowNotWatchedWholeIsNeverReportedMissing() throws {
        let rules = try compiledRules("""
            pack: media
            rules:
              - id: weekly_montage
                expect: {regex: 'montage completed'}
                by: "mon 09:00"
            """)
        var c = Correlator(rules: rules.rules)
        var kinds: [String] = []
        // Started on Monday 08:59: the window that closes at 09:00 was not watched.
        c.watch(from: Timestamp(year: 2026, month: 11, day: 23, hour: 8, minute: 59))
        c.advance(to: Timestamp(year: 2026, month: 11, day: 23, hour: 9)) { _ in kinds.append("absent") }
        #expect(kinds.isEmpty)
        c.advance(to: Timestamp(year: 2026, month: 11, day: 30, hour: 9)) { _ in kinds.append("absent") }
        #expect(kinds == ["absent"], "the next week was watched whole")
    }
}

@Suite struct DigestBookTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 8)

    func batch(_ group: UInt64, _ severity: Severity, count: Int, reason: BatchReason = .first, at: Timestamp) -> AlertBatch {
        let alert = Alert(rule: "r.\(group)", severity: severity, title: "group \(group)",
                          body: String(repeating: "e", count: 500), fingerprint: Fingerprint(value: group), timestamp: at)
        return AlertBatch(fingerprint: Fingerprint(value: group), rule: "r.\(group)", severity: severity, labels: [], reason: reason,
                          alerts: [alert], count: count, firstSeen: at, lastSeen: at, decidedAt: at, episodeCount: count,
                          episodeStart: at)
    }

    func config(_ yaml: String) throws -> [DigestConfig] {
        let diagnostics = ConfigDiagnostics()
        let root = try #require(YAMLDocument.parse(yaml, diagnostics: diagnostics, expandsEnvironment: false, environment: [:]))
        let config = CrierConfig.read(root)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
        return config.digests
    }

    @Test func aDailySummaryCountsItsWindowAndStartsTheNext() throws {
        var book = DigestBook(configs: try config("digests: [{name: daily, schedule: '09:00'}]"))
        book.watch(from: t0)
        #expect(book.nextDeadline == t0 + .seconds(3600))
        book.note(batch(1, .error, count: 40, at: t0 + .seconds(60)))
        book.note(batch(1, .error, count: 2, reason: .burst, at: t0 + .seconds(400)))
        book.note(batch(2, .warning, count: 5, at: t0 + .seconds(500)))
        var sent: [AlertBatch] = []
        book.advance(to: t0 + .seconds(3600), health: { _ in ["Delivery to ops: 3 delivered, 0 dead (100.0%)"] }) { sent.append($1) }
        let d = try #require(sent.first)
        #expect(d.reason == .digest && d.lead?.title == "Digest daily: 47 occurrences in 1 h")
        let body = d.lead?.body ?? ""
        #expect(body.contains("Severity: error 42 · warning 5"))
        #expect(body.contains("• 42 × group 1 (r.1)\n• 5 × group 2 (r.2)"))
        #expect(body.contains("Delivery to ops: 3 delivered"))
        #expect(book.state("daily")?.occurrences == 0 && book.nextDeadline == t0 + .seconds(3600 + 86_400))
        // A quiet day still reports.
        book.advance(to: t0 + .seconds(3600 + 86_400), health: { _ in nil }) { sent.append($1) }
        #expect(sent.last?.lead?.title == "Digest daily: quiet, nothing matched in 1 d")
    }

    @Test func aFailuresDigestListsOnlySevereGroupsAndStaysSilentWhenThereAreNone() throws {
        var book = DigestBook(configs: try config("digests: [{name: f, kind: failures, every: 30m}]"))
        book.watch(from: t0)
        book.note(batch(1, .warning, count: 9, at: t0))
        var sent: [AlertBatch] = []
        book.advance(to: t0 + .seconds(1800), health: { _ in nil }) { sent.append($1) }
        #expect(sent.isEmpty, "warnings only: nothing to say")
        book.note(batch(2, .critical, count: 1, at: t0 + .seconds(1900)))
        book.advance(to: t0 + .seconds(3600), health: { _ in nil }) { sent.append($1) }
        #expect(sent.map { $0.lead?.title } == ["Failures in the last 30 min: 1 group, 1 occurrence"])
        let line = sent[0].lead?.body.split(separator: "\n").first { $0.hasPrefix("• ") } ?? ""
        #expect(line.hasPrefix("• 1 × group 2 (r.2), last 2026-11-23 08:31 UTC: eee"))
        #expect(line.hasSuffix("e…") && line.count < 300, "log text is cut to 200 characters")
    }

    @Test func badDigestsAreReportedWithTheirKeys() {
        let diagnostics = ConfigDiagnostics()
        let root = YAMLDocument.parse("""
            digests:
              - {name: a, schedule: "someday 09:00"}
              - {name: b}
              - {name: c, schedule: "09:00", every: 1h, notifiers: [nope]}
            """, diagnostics: diagnostics, expandsEnvironment: false, environment: [:])!
        _ = CrierConfig.read(root)
        let messages = diagnostics.errors.map { "\($0.path): \($0.message)" }
        #expect(messages.contains { $0.hasPrefix("digests[0].schedule: unknown day 'someday'") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("digests[1].schedule: is required") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("digests[2].every: give either") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("digests[2].notifiers: no notifier is named 'nope'") }, "\(messages)")
    }
}
