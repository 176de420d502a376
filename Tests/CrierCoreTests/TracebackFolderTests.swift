import CrierCore
import Foundation
import Testing

@Suite struct TracebackFolderTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)
    let rules: RuleSet
    var failed: CompiledRule { rules.rules[0] }

    init() throws {
        rules = try compiledRules("""
            pack: celery
            rules:
              - id: task_failed
                regex: 'raised unexpected'
                multiline: traceback
            """)
    }

    /// Gives a celery[1] line (or another stream's) to the folder.
    func admit(_ folder: inout TracebackFolder, _ line: String, n: Int, ident: String = "celery", pid: String = "1",
               format: RecordFormat = .text, at t: Timestamp? = nil, into released: inout [FoldRelease]) -> TracebackFolder.Admission {
        withView(line, format: format, line: n, at: t ?? t0, ident: ident, pid: pid) { view in
            folder.admit(&view, now: t ?? t0, source: "test", into: &released)
        }
    }

    /// Holds a celery task failure, as the match stage does after the rule fired.
    func hold(_ folder: inout TracebackFolder, _ line: String, n: Int, pid: String = "1", at t: Timestamp? = nil,
              into released: inout [FoldRelease]) {
        withView(line, line: n, at: t ?? t0, ident: "celery", pid: pid) { view in
            let record = LogRecord(view, source: "test")
            let hits = [RuleHit(rule: failed, captures: [])]
            #expect(TracebackFolder.waitsForTraceback(record, hits: hits))
            folder.hold(record, hits: hits, stream: view, now: t ?? t0, into: &released)
        }
    }

    func describe(_ released: [FoldRelease]) -> [String] {
        released.map {
            switch $0 {
            case .owner(let record, let hits):
                "owner \(record.line ?? 0) \(hits.map(\.rule.id)) \(record.traceback.map { "\($0.exceptionType ?? "?") \($0.lineCount)" } ?? "-")"
            case .ownerless(let record):
                "ownerless \(record.line ?? 0) \(record.traceback.map { "\($0.exceptionType ?? "?") \($0.lineCount)" } ?? "-")"
            }
        }
    }

    let traceback = ["Traceback (most recent call last):", "  File \"/app/tasks.py\", line 5, in render", "    return frames['frame']",
                     "KeyError: 'frame'"]

    @Test func aHeldRecordIsReleasedByTheNextLineOfItsStream() {
        var folder = TracebackFolder()
        var released: [FoldRelease] = []
        hold(&folder, "Task a raised unexpected: E()", n: 1, into: &released)
        #expect(folder.hasHeldRecords)
        #expect(admit(&folder, "Accepted publickey", n: 2, ident: "sshd", into: &released) == .standsAlone)
        #expect(released.isEmpty, "another stream's line leaves it waiting")
        #expect(admit(&folder, "Task b received", n: 3, into: &released) == .standsAlone)
        #expect(describe(released) == ["owner 1 [\"celery.task_failed\"] -"])
        #expect(!folder.hasHeldRecords)
    }

    @Test func theTracebackThatFollowsFoldsIntoItsOwnerEvenWhenInterleaved() {
        var folder = TracebackFolder()
        var released: [FoldRelease] = []
        hold(&folder, "Task a raised unexpected: KeyError('frame')", n: 1, into: &released)
        #expect(admit(&folder, traceback[0], n: 2, into: &released) == .folded)
        #expect(admit(&folder, "Accepted publickey", n: 3, ident: "sshd", into: &released) == .standsAlone)
        for (i, line) in traceback.dropFirst().enumerated() {
            #expect(admit(&folder, line, n: 4 + i, into: &released) == .folded)
        }
        #expect(released.isEmpty)
        #expect(admit(&folder, "Task b received", n: 7, into: &released) == .standsAlone)
        #expect(describe(released) == ["owner 1 [\"celery.task_failed\"] KeyError 4"])
    }

    @Test func aHeldRecordWaitsHoldTimeoutAndNoLonger() {
        var folder = TracebackFolder(holdTimeout: .seconds(5))
        var released: [FoldRelease] = []
        hold(&folder, "Task a raised unexpected: E()", n: 1, into: &released)
        #expect(folder.nextHoldDeadline == t0 + .seconds(5))
        folder.expireHeld(now: t0 + .milliseconds(4_999), into: &released)
        #expect(released.isEmpty)
        folder.expireHeld(now: t0 + .seconds(5), into: &released)
        #expect(describe(released) == ["owner 1 [\"celery.task_failed\"] -"])
        #expect(folder.nextHoldDeadline == nil)
    }

    @Test func aTracebackWithoutOwnerBecomesARecordOfItsOwn() throws {
        var folder = TracebackFolder()
        var released: [FoldRelease] = []
        for (i, line) in traceback.enumerated() {
            #expect(admit(&folder, line, n: 10 + i, ident: "cleanup", into: &released) == .folded)
        }
        #expect(admit(&folder, "cleanup.service: Main process exited", n: 14, ident: "cleanup", into: &released) == .standsAlone)
        #expect(describe(released) == ["ownerless 10 KeyError 4"])
        guard case .ownerless(let record) = try #require(released.first) else { return }
        #expect(record.message == traceback.joined(separator: "\n"))
        #expect(record.ident == "cleanup")
    }

    @Test func aJSONMessageCarryingItsTracebackIsSplit() {
        var folder = TracebackFolder()
        var released: [FoldRelease] = []
        let whole = traceback.joined(separator: "\n")
        withView("Task a raised unexpected: KeyError('frame')\r\n" + whole, format: .json) { view in
            #expect(folder.admit(&view, now: t0, source: "test", into: &released) == .standsAlone)
            #expect(view.message.lossyString == "Task a raised unexpected: KeyError('frame')")
            #expect(view.traceback.lossyString == whole)
        }
        withView(whole, format: .journal) { view in
            #expect(folder.admit(&view, now: t0, source: "test", into: &released) == .standsAlone)
            #expect(view.traceback.lossyString == whole, "a traceback and nothing else: it is the message")
            #expect(view.message.lossyString == whole)
        }
        withView("head\n" + whole, format: .text) { view in
            #expect(folder.admit(&view, now: t0, source: "test", into: &released) == .standsAlone)
            #expect(view.traceback.isEmpty, "text lines are folded line by line, never split")
        }
        #expect(released.isEmpty && !folder.hasHeldRecords)
    }

    /// A restart between a failure line and the end of its traceback loses neither: the
    /// folder saved with the checkpoint goes on where the first one stopped.
    @Test func aSnapshotRestoredAfterARestartFinishesTheSameWay() throws {
        var before = TracebackFolder()
        var released: [FoldRelease] = []
        hold(&before, "Task a raised unexpected: KeyError('frame')", n: 1, into: &released)
        _ = admit(&before, traceback[0], n: 2, into: &released)
        _ = admit(&before, traceback[1], n: 3, into: &released)
        _ = admit(&before, "x", n: 4, ident: "other", pid: "7", into: &released)  // not a traceback: no stream kept
        hold(&before, "Task b raised unexpected: E()", n: 5, pid: "2", into: &released)
        let saved = before.saveHeld()
        #expect(saved.count == 2)
        let decoded = try JSONDecoder().decode([HeldStreamSnapshot].self, from: JSONEncoder().encode(saved))
        #expect(decoded == saved)

        var after = TracebackFolder()
        after.restoreHeld(decoded, rules: rules.rules)
        var afterReleased: [FoldRelease] = []
        for (i, line) in traceback.dropFirst(2).enumerated() {
            _ = admit(&before, line, n: 6 + i, into: &released)
            _ = admit(&after, line, n: 6 + i, into: &afterReleased)
        }
        before.flush(into: &released)
        after.flush(into: &afterReleased)
        #expect(describe(afterReleased) == describe(released))
        #expect(describe(afterReleased) == ["owner 1 [\"celery.task_failed\"] KeyError 4", "owner 5 [\"celery.task_failed\"] -"])

        var renamed = TracebackFolder()
        renamed.restoreHeld(decoded, rules: [])
        #expect(!renamed.hasHeldRecords, "an owner whose rule is gone is dropped with it")
    }

    /// The shape saved by earlier versions still decodes (the state store keeps it as JSON).
    @Test func aSnapshotOfTheStoredShapeDecodes() throws {
        let json = #"""
            {"stream":5,"record":{"source":"s","position":{"replay":{"line":1}},"timestamp":{"microseconds":1795428000000000},
             "format":"text","message":"Task a raised unexpected: E()","ident":"celery","pid":"1","fields":[],"flags":0,"repeats":1},
             "hits":[{"rule":"celery.task_failed","captures":[{"name":"task","value":"a"}]}],"isOwner":true,"heldBlanks":0,
             "lastSeen":{"microseconds":1795428000000000}}
            """#
        let s = try JSONDecoder().decode(HeldStreamSnapshot.self, from: Data(json.utf8))
        #expect(s.record.line == 1 && s.record.ident == "celery" && s.hits.first?.captures == [Capture("task", "a")])
        var folder = TracebackFolder()
        folder.restoreHeld([s], rules: rules.rules)
        var released: [FoldRelease] = []
        folder.flush(into: &released)
        #expect(describe(released) == ["owner 1 [\"celery.task_failed\"] -"])
    }

    @Test func streamsBeyondTheLimitAreFlushedInLineOrder() {
        var folder = TracebackFolder(maxOpenStreams: 2)
        var released: [FoldRelease] = []
        hold(&folder, "Task a raised unexpected: E()", n: 1, pid: "1", into: &released)
        hold(&folder, "Task b raised unexpected: E()", n: 2, pid: "2", into: &released)
        #expect(released.isEmpty)
        hold(&folder, "Task c raised unexpected: E()", n: 3, pid: "3", into: &released)
        #expect(describe(released).map { $0.prefix(7) } == ["owner 1", "owner 2"])
        folder.flush(into: &released)
        #expect(describe(released).map { $0.prefix(7) } == ["owner 1", "owner 2", "owner 3"])
    }
}
