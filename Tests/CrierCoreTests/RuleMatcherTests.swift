import CrierCore
import Testing

@Suite struct RuleMatcherTests {
    let pack = """
        pack: t
        rules:
          - id: disk
            regex: 'disk (?<dev>\\w+) failed'
          - id: cron_error
            where: {ident: cron}
            regex: 'error'
          - id: any_sshd
            where: {ident: sshd}
          - id: shouting
            regex: '(?i)disk \\w+ FAILED'
          - id: task_stuck
            start: {regex: 'Task (?<task_id>\\w+) received'}
            end: {regex: 'Task (?<task_id>\\w+) (?:succeeded|failed)'}
            key: task_id
            timeout: 30m
          - id: backup_missing
            expect: {regex: 'disk \\w+ failed'}
            every: 24h
        """

    func hits(_ matcher: RuleMatcher, _ message: String, ident: String = "app", scope: MatchScope = .rulesAndCorrelation,
              into buffer: inout RecordHits) -> (rules: [String], correlations: [String]) {
        withView(message, ident: ident) { view in
            matcher.match(view, scope: scope, into: &buffer)
        }
        return (buffer.rules.map(\.rule.id), buffer.correlations.map { "\($0.rule.id):\($0.role)" })
    }

    @Test func onePassFindsRuleAndCorrelationHitsInRuleOrder() throws {
        let matcher = RuleMatcher(rules: try compiledRules(pack))
        var buffer = RecordHits()
        let found = hits(matcher, "disk sda failed", into: &buffer)
        #expect(found.rules == ["t.disk", "t.shouting"])
        #expect(found.correlations == ["t.backup_missing:expect"])
        #expect(buffer.rules[0].captures == [Capture("dev", "sda")])

        let task = hits(matcher, "Task a1 failed", into: &buffer)
        #expect(task.rules.isEmpty)
        #expect(task.correlations == ["t.task_stuck:end"])
        #expect(buffer.correlations[0].captures == [Capture("task_id", "a1")])
    }

    @Test func selectorsDecideBeforeThePattern() throws {
        let matcher = RuleMatcher(rules: try compiledRules(pack))
        var buffer = RecordHits()
        #expect(hits(matcher, "error: no such job", ident: "cron", into: &buffer).rules == ["t.cron_error"])
        #expect(hits(matcher, "error: no such job", ident: "app", into: &buffer).rules.isEmpty)
        // A rule of selectors only fires on every record they accept.
        #expect(hits(matcher, "Accepted publickey", ident: "sshd", into: &buffer).rules == ["t.any_sshd"])
    }

    @Test func theLiteralScanLetsThroughEveryLineThatMatches() throws {
        let matcher = RuleMatcher(rules: try compiledRules(pack))
        var buffer = RecordHits()
        // No "disk " literal: the prefiltered rule is ruled out, the case-folded one (which
        // has no prefilter) still runs and matches.
        #expect(hits(matcher, "DISK sdb FAILED", into: &buffer).rules == ["t.shouting"])
        #expect(hits(matcher, "", into: &buffer).rules.isEmpty)
        #expect(hits(matcher, "the disk is fine", into: &buffer).rules.isEmpty)
    }

    @Test func aMissEmptiesTheReusedBuffer() throws {
        let matcher = RuleMatcher(rules: try compiledRules(pack))
        var buffer = RecordHits()
        _ = hits(matcher, "disk sda failed", into: &buffer)
        #expect(!buffer.isEmpty)
        let kept = buffer.ownedRules()
        _ = hits(matcher, "nothing to see", into: &buffer)
        #expect(buffer.isEmpty)
        #expect(kept.map(\.rule.id) == ["t.disk", "t.shouting"], "hits taken out stay as they were")
    }

    @Test func rulesOnlyLeavesCorrelationOut() throws {
        let matcher = RuleMatcher(rules: try compiledRules(pack))
        var buffer = RecordHits()
        let found = hits(matcher, "disk sda failed", scope: .rulesOnly, into: &buffer)
        #expect(found.rules == ["t.disk", "t.shouting"])
        #expect(found.correlations.isEmpty)
    }

    @Test func aPatternCutOffAtTheBacktrackingLimitIsReportedNotMatched() throws {
        let rules = try compiledRules("pack: t\nrules:\n  - id: slow\n    regex: '(a+)+$'\n  - id: fine\n    regex: 'aaa'\n")
        let matcher = RuleMatcher(rules: rules, scratch: RegexScratch(matchLimit: 10_000))
        var buffer = RecordHits()
        let found = hits(matcher, String(repeating: "a", count: 40) + "b", into: &buffer)
        #expect(found.rules == ["t.fine"])
        #expect(buffer.limitExceeded.map(\.id) == ["t.slow"])
    }

    /// More slots than one word of the candidate set: the ones past 64 are found too.
    @Test func manyRules() throws {
        var text = "pack: t\nrules:\n"
        for i in 0..<150 { text += "  - id: r\(i)\n    regex: 'word\(i)x'\n" }
        let matcher = RuleMatcher(rules: try compiledRules(text))
        var buffer = RecordHits()
        #expect(hits(matcher, "a word149x and word3x and word64x", into: &buffer).rules == ["t.r3", "t.r64", "t.r149"])
    }
}
