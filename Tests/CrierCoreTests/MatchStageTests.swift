import CrierCore
import Testing

@Suite struct MatchStageTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)
    let pack = """
        pack: t
        rules:
          - id: task_failed
            regex: 'Task (?<task_id>\\w+) raised unexpected'
            multiline: traceback
          - id: uncaught
            regex: '(?s)^Traceback .*\\nValueError'
          - id: task_stuck
            start: {regex: 'Task (?<task_id>\\w+) received'}
            end: {regex: 'Task (?<task_id>\\w+) (?:succeeded|raised)'}
            key: task_id
            timeout: 30m
        """

    /// Feeds lines of one stream; returns the events, described.
    func run(_ stage: inout MatchStage, _ lines: [String], flush: Bool = true) -> [String] {
        var events: [MatchEvent] = []
        for (i, line) in lines.enumerated() {
            withView(line, line: i + 1, at: t0, ident: "celery", pid: "1") { view in
                stage.process(&view, now: t0, into: &events)
            }
        }
        if flush { stage.flush(into: &events) }
        return events.map {
            switch $0 {
            case .matched(let record, let hits): "matched \(record.line ?? 0) \(hits.map(\.rule.id).joined(separator: ","))"
                + (record.traceback.map { " +\($0.exceptionType ?? "?")" } ?? "")
            case .correlated(let record, let hits): "correlated \(record.line ?? 0) \(hits.map { "\($0.rule.id):\($0.role)" }.joined(separator: ","))"
            case .missed: "missed"
            case .missedTraceback(let record): "missed traceback \(record.line ?? 0)"
            case .regexLimitExceeded(let rule): "limit \(rule.id)"
            }
        }
    }

    @Test func correlationComesFirstAndTheOwnerWaitsForItsTraceback() throws {
        var stage = MatchStage(rules: try compiledRules(pack), source: "test")
        let events = run(&stage, ["Task a raised unexpected: KeyError()", "Traceback (most recent call last):",
                                 "  File \"/a.py\", line 1, in a", "KeyError: 1", "all quiet"])
        #expect(events == ["correlated 1 t.task_stuck:end", "matched 1 t.task_failed +KeyError", "missed"])
        #expect((stage.stats.records, stage.stats.matched, stage.stats.missed, stage.stats.tracebacks) == (2, 1, 1, 1))
        #expect(stage.stats.ruleHits == [1, 0, 0])
    }

    @Test func aTracebackWithoutOwnerIsMatchedOnceFolded() throws {
        var stage = MatchStage(rules: try compiledRules(pack), source: "test")
        let value = ["Traceback (most recent call last):", "  File \"/a.py\", line 1, in a", "ValueError: x", "after"]
        #expect(run(&stage, value) == ["matched 1 t.uncaught +ValueError", "missed"])
        let key = ["Traceback (most recent call last):", "  File \"/a.py\", line 1, in a", "KeyError: x"]
        #expect(run(&stage, key) == ["missed traceback 1"])
        #expect((stage.stats.records, stage.stats.matched, stage.stats.missed, stage.stats.tracebacks) == (3, 1, 2, 2))
    }

    @Test func aPatternCutOffIsCountedAgainstItsRule() throws {
        var stage = MatchStage(rules: try compiledRules("pack: t\nrules:\n  - id: slow\n    regex: '(a+)+$'\n"), source: "test")
        // The default scratch allows 5,000,000 steps: enough a's to exceed it.
        #expect(run(&stage, [String(repeating: "a", count: 32) + "b"]) == ["limit t.slow", "missed"])
        #expect(stage.stats.regexLimitHits == [1])
    }
}
