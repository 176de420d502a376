import CrierCore
import CrierNotifiers
import CrierSources
import CrierTestSupport
import Foundation
import Testing

@testable import CrierRuntime

/// End-to-end through the real reader, matcher, aggregator and renderers, on files.
struct ReplayHarness {
    let dir = TempDirectory()
    var config: String

    init(config: String = "packs: [sshd, celery, python]") { self.config = config }

    func loaded() throws -> LoadedConfig {
        try ConfigLoader(environment: [:]).load(text: config, origin: "test.yaml")
    }

    /// Replays `log` and returns the jsonl events, parsed.
    func run(_ log: String, name: String = "input.log", matches: Bool = true) throws -> [[String: Any]] {
        let path = dir.write(name, log)
        var options = ReplayOptions(inputs: [path])
        options.output = .jsonl
        options.matches = matches
        options.deterministic = true
        options.zone = .utc
        options.year = 2026
        let capture = OutputWriter(capturing: ())
        ReplayRunner(options: options, loaded: try loaded(), out: capture).run()
        return capture.capturedText.split(separator: "\n").map { parseJSON(String($0)) as! [String: Any] }
    }
}

extension Array where Element == [String: Any] {
    func of(_ type: String) -> [[String: Any]] { filter { $0["type"] as? String == type } }
    var summary: [String: Any] { of("summary").first ?? [:] }
}

@Suite struct FoldingTests {
    let celeryFailure = """
        2026-11-23T10:05:02+00:00 w1 celery[2211]: [2026-11-23 10:05:02,204: ERROR/ForkPoolWorker-1] Task app.tasks.render[5f1c3c2e-8d0b-4a8e-9a51-7c2f9a6b1e10] raised unexpected: KeyError('frame')
        2026-11-23T10:05:02+00:00 w1 celery[2211]: Traceback (most recent call last):
        2026-11-23T10:05:02+00:00 w1 sshd[99]: Accepted publickey for deploy from 10.0.0.1 port 1 ssh2
        2026-11-23T10:05:02+00:00 w1 celery[2211]:   File "/app/tasks.py", line 5, in render
        2026-11-23T10:05:02+00:00 w1 celery[2211]:     return frames['frame']
        2026-11-23T10:05:02+00:00 w1 celery[2211]: KeyError: 'frame'
        2026-11-23T10:05:03+00:00 w1 celery[2211]: [2026-11-23 10:05:03,000: INFO/MainProcess] Task app.tasks.other[1] received
        """

    @Test func tracebackLinesFoldIntoTheirOwnerEvenWhenInterleaved() throws {
        let events = try ReplayHarness().run(celeryFailure)
        let matches = events.of("match")
        #expect(matches.count == 1)
        #expect(matches[0]["rule"] as? String == "celery.task_failed")
        let tb = matches[0]["traceback"] as? [String: Any]
        #expect(tb?["exception_type"] as? String == "KeyError")
        #expect(tb?["last_frame"] as? String == "tasks.py:5 in render")
        #expect(tb?["lines"] as? Int == 4)
        // No python.uncaught_traceback: the traceback belongs to the task failure.
        #expect(events.summary["rules"] as? [String: Int] == ["celery.task_failed": 1])
        #expect(events.summary["records"] as? Int == 3)
        #expect(events.summary["lines"] as? Int == 7)
    }

    /// A database error's message goes on under its exception line (PostgreSQL's DETAIL,
    /// SQLAlchemy's statement after a blank line): it stays in the traceback, and the
    /// exception is still the one named after the frames, not `DETAIL`.
    @Test func aDatabaseErrorKeepsItsDetailLinesAndItsExceptionType() throws {
        let p = "2026-11-23T10:05:02+00:00 w1 celery[2211]:"
        let log = """
            \(p) [2026-11-23 10:05:02,204: ERROR/ForkPoolWorker-1] Task app.tasks.signup[5f1c3c2e-8d0b-4a8e-9a51-7c2f9a6b1e10] raised unexpected: IntegrityError('duplicate key')
            \(p) Traceback (most recent call last):
            \(p)   File "/app/tasks.py", line 9, in signup
            \(p)     session.commit()
            \(p) sqlalchemy.exc.IntegrityError: (psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint "users_email_key"
            \(p) DETAIL:  Key (email)=(a@example.com) already exists.
            \(p)
            \(p) [SQL: INSERT INTO users (email) VALUES (%(email)s)]
            \(p) [parameters: {'email': 'a@example.com'}]
            \(p) (Background on this error at: https://sqlalche.me/e/20/gkpj)
            \(p) [2026-11-23 10:05:03,000: INFO/MainProcess] Task app.tasks.other[1] received
            """
        let events = try ReplayHarness().run(log)
        let matches = events.of("match")
        #expect(matches.count == 1, "\(matches)")
        let tb = matches.first?["traceback"] as? [String: Any]
        #expect(tb?["exception_type"] as? String == "sqlalchemy.exc.IntegrityError")
        #expect(tb?["lines"] as? Int == 9)
        let sent = events.of("notification").map { "\($0)" }.joined()
        #expect(sent.contains("traceback (9 lines): sqlalchemy.exc.IntegrityError at tasks.py:9 in signup"), "\(sent)")
        #expect(events.summary["records"] as? Int == 2, "the DETAIL and SQL lines are not records of their own")
    }

    @Test func aTracebackWithoutOwnerIsOneUncaughtAlert() throws {
        let log = """
            Nov 23 10:10:01 w1 cleanup[2991]: Traceback (most recent call last):
            Nov 23 10:10:01 w1 cleanup[2991]:   File "/opt/bin/cleanup", line 12, in <module>
            Nov 23 10:10:01 w1 cleanup[2991]:     main()
            Nov 23 10:10:01 w1 cleanup[2991]: ValueError: bad cache dir
            Nov 23 10:10:01 w1 cleanup[2991]:
            Nov 23 10:10:01 w1 cleanup[2991]: During handling of the above exception, another exception occurred:
            Nov 23 10:10:01 w1 cleanup[2991]:
            Nov 23 10:10:01 w1 cleanup[2991]: Traceback (most recent call last):
            Nov 23 10:10:01 w1 cleanup[2991]:   File "/opt/bin/cleanup", line 14, in <module>
            Nov 23 10:10:01 w1 cleanup[2991]: RuntimeError: cleanup failed
            Nov 23 10:10:02 w1 systemd[1]: cleanup.service: Main process exited, code=exited, status=1/FAILURE
            """
        let events = try ReplayHarness().run(log)
        #expect(events.of("match").count == 1)
        let notes = events.of("notification")
        #expect(notes.count == 1)
        #expect(notes[0]["title"] as? String == "RuntimeError in cleanup")
        #expect((notes[0]["labels"] as? [String: String])?["exception_type"] == "RuntimeError")
        #expect(events.summary["records"] as? Int == 2)
    }

    @Test func jsonExcInfoAndJournalMessageCarryTheirTraceback() throws {
        let log = """
            {"ts":1795428000,"msg":"Task app.tasks.a[1] raised unexpected: ValueError('x')","exc_info":"Traceback (most recent call last):\\n  File \\"/a.py\\", line 3, in a\\nValueError: x"}
            {"__REALTIME_TIMESTAMP":"1795428001000000","SYSLOG_IDENTIFIER":"celery","MESSAGE":"Task app.tasks.b[2] raised unexpected: OSError('y')\\nTraceback (most recent call last):\\n  File \\"/b.py\\", line 9, in b\\nOSError: y"}
            """
        let events = try ReplayHarness().run(log, name: "input.jsonl")
        let matches = events.of("match")
        #expect(matches.count == 2)
        #expect(matches.map { ($0["traceback"] as? [String: Any])?["last_frame"] as? String } == ["a.py:3 in a", "b.py:9 in b"])
        #expect(matches.map { ($0["fields"] as? [String: String])?["error"] } == ["ValueError('x')", "OSError('y')"])
        #expect(events.summary["tracebacks"] as? Int == 2)
    }

    @Test func heldRecordIsReleasedAtItsDeadlineNotAtTheNextRecord() throws {
        // The owner waits for a traceback that never comes; the next line is an hour later.
        let log = """
            2026-11-23T10:00:00+00:00 w1 celery[1]: Task app.t[1] raised unexpected: E()
            2026-11-23T11:00:00+00:00 w1 cron[2]: (root) CMD (true)
            """
        let harness = ReplayHarness(config: "packs: [celery]\ndefaults: {group_wait: 10s}")
        let notes = try harness.run(log).of("notification")
        // Released 2 s after its line, sent 10 s later: at 10:00:12, as live mode would.
        #expect(notes.map { $0["decided_at"] as? String } == ["2026-11-23T10:00:12.000Z"])
    }
}

@Suite struct AggregationEndToEndTests {
    @Test func tenThousandIdenticalCeleryFailuresAreTwoMessages() throws {
        var log = ""
        for i in 0..<10_000 {
            let micros = String(i * 100).leftPadding(6, "0")
            log += "2026-11-23T10:00:00.\(micros)+00:00 w1 celery[7]: [2026-11-23 10:00:00,000: ERROR/ForkPoolWorker-1] "
                + "Task app.tasks.render[id-\(i)] raised unexpected: TimeoutError('upstream')\n"
        }
        let harness = ReplayHarness(config: "packs: [celery]\ndefaults: {group_wait: 0s}")
        let events = try harness.run(log, matches: false)
        let notes = events.of("notification")
        #expect(notes.map { $0["reason"] as? String } == ["first", "burst"])
        #expect(notes.map { $0["count"] as? Int } == [1, 9_999])
        #expect(notes[1]["suppressed"] as? Int == 9_994)
        let text = ((notes[1]["payload"] as? [String: Any])?["text"] as? String) ?? ""
        #expect(text.contains("9,999 more"))

        // With the default group_wait the burst is folded into the first message itself.
        let defaults = try ReplayHarness(config: "packs: [celery]").run(log, matches: false).of("notification")
        #expect(defaults.map { $0["reason"] as? String } == ["first"])
        #expect(defaults.map { $0["count"] as? Int } == [10_000])
    }

    @Test func routesFanOutWithTheRightPayloads() throws {
        let config = """
            packs: [sshd]
            notifiers:
              - {name: chat, type: discord, webhook_url: "https://discord.com/api/webhooks/1/SECRET-A"}
              - {name: team, type: slack, webhook_url: "https://hooks.slack.com/services/T/B/SECRET-B"}
            routes:
              - match: {pack: [sshd]}
                notifiers: [chat, team]
            """
        let log = "Dec 10 06:55:46 LabSZ sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2\n"
        let events = try ReplayHarness(config: config).run(log)
        let notes = events.of("notification")
        #expect(notes.map { $0["notifier"] as? String } == ["chat", "team"])
        #expect((notes[0]["payload"] as? [String: Any])?["embeds"] != nil)
        #expect((notes[1]["payload"] as? [String: Any])?["blocks"] != nil)
        let all = try JSONSerialization.data(withJSONObject: events)
        #expect(String(decoding: all, as: UTF8.self).range(of: "SECRET") == nil)
    }
}

/// The build embeds patterns/*/pack.yaml (the EmbedPacks plugin); nothing is regenerated by
/// hand, so these check the embedding itself: every pack directory is picked up, its text
/// survives the generated literal byte for byte, and every shipped pack compiles.
@Suite struct EmbeddedPackTests {
    @Test func everyPackDirectoryIsEmbeddedVerbatim() throws {
        let root = Repository.root()
        let dirs = try FileManager.default.contentsOfDirectory(atPath: "\(root)/patterns")
            .filter { FileManager.default.fileExists(atPath: "\(root)/patterns/\($0)/pack.yaml") }
        let embedded = PackCatalog().embedded
        #expect(dirs.count > 5)
        #expect(Set(dirs) == Set(embedded.keys))
        for name in dirs {
            let file = try String(contentsOfFile: "\(root)/patterns/\(name)/pack.yaml", encoding: .utf8)
            #expect(embedded[name] == file, "patterns/\(name)/pack.yaml")
        }
    }

    @Test func everyShippedPackCompiles() throws {
        let loaded = try ConfigLoader(environment: [:]).loadEmbeddedDefault()
        #expect(Set(loaded.packs.map(\.name)) == Set(PackCatalog().shippedNames))
        #expect(loaded.rules.rules.count > 10)
    }
}

@Suite struct EmbeddedDefaultTests {
    @Test func consoleWhenNoWebhookIsSet() throws {
        let loaded = try ConfigLoader(environment: [:]).loadEmbeddedDefault()
        #expect(loaded.config.notifiers.map(\.name) == ["console"])
        #expect(loaded.router.notifiers(rule: "sshd.x", severity: .warning, labels: []) == ["console"])
    }

    @Test func webhooksFromTheEnvironmentAreRoutedBySeverityAndPack() throws {
        let env = ["DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/all",
                   "DISCORD_WEBHOOK_ERROR": "https://discord.com/api/webhooks/2/err",
                   "DISCORD_WEBHOOK_SECURITY": "https://discord.com/api/webhooks/3/sec",
                   "DISCORD_WEBHOOK_GENERAL": "https://discord.com/api/webhooks/4/gen",
                   "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x", "SLACK_CHANNEL": "#ops"]
        let loaded = try ConfigLoader(environment: env).loadEmbeddedDefault()
        let r = loaded.router
        #expect(r.notifiers(rule: "sshd.failed_password", severity: .warning, labels: []) == ["discord", "slack", "discord-security"])
        #expect(r.notifiers(rule: "celery.task_failed", severity: .error, labels: []) == ["discord", "slack", "discord-error"])
        #expect(r.notifiers(rule: "celery.task_failed", severity: .critical, labels: []) == ["discord", "slack", "discord-error"])
        #expect(r.notifiers(rule: "celery.soft_time_limit", severity: .warning, labels: []) == ["discord", "slack", "discord-general"])
        guard case .slack(let slack)? = loaded.config.notifiers.first(where: { $0.name == "slack" }) else {
            Issue.record("a slack notifier")
            return
        }
        #expect(slack.channel == "#ops")
    }
}

@Suite struct PackTesterTests {
    @Test func mismatchPrintsADiffAndUpdateWritesTheGolden() throws {
        let dir = TempDirectory()
        dir.write("demo/pack.yaml", "pack: demo\nrules:\n  - id: boom\n    regex: 'boom (?<what>\\w+)'\n    title: 'Boom {{what}}'\n")
        dir.write("demo/testdata/case.log", "2026-11-23T10:00:00Z h app[1]: boom disk\n")
        let loader = ConfigLoader(environment: [:])
        let missing = OutputWriter(capturing: ())
        #expect(PackTester(loader: loader, update: false, out: missing).run(packDirectories: ["\(dir.path)/demo"]).failed == 1)
        #expect(missing.capturedText.contains("no golden file"))

        let writer = OutputWriter(capturing: ())
        #expect(PackTester(loader: loader, update: true, out: writer).run(packDirectories: ["\(dir.path)/demo"]).updated == 1)
        let golden = try String(contentsOfFile: "\(dir.path)/demo/testdata/case.golden", encoding: .utf8)
        #expect(golden.contains(#""rule":"demo.boom""#) && golden.contains(#""what":"disk""#) && !golden.contains(dir.path))

        #expect(PackTester(loader: loader, update: false, out: OutputWriter(capturing: ())).run(packDirectories: ["\(dir.path)/demo"]).failed == 0)

        dir.write("demo/testdata/case.log", "2026-11-23T10:00:00Z h app[1]: boom cpu\n")
        let diff = OutputWriter(capturing: ())
        #expect(PackTester(loader: loader, update: false, out: diff).run(packDirectories: ["\(dir.path)/demo"]).failed == 1)
        #expect(diff.capturedText.contains(#"- {"type":"match""#) && diff.capturedText.contains(#"+ {"type":"match""#))
        #expect(diff.capturedText.contains(#""what":"cpu""#))
    }
}

/// The literal prefilter may let lines through, never stop one: every regex of the shipped
/// packs, on every line of their test data, the demo and the fixtures, matches with the
/// prefilter exactly when it matches without it.
@Suite struct PrefilterSoundnessTests {
    struct Tally {
        var subjects = 0
        var checked = 0
        var filtered = 0
        var prefiltered = 0
        var rules = 0
    }

    @Test func noShippedPatternLosesAMatch() throws {
        let root = Repository.root()
        let fm = FileManager.default
        var files = ["\(root)/demo/sample.log"]
        for pack in try fm.contentsOfDirectory(atPath: "\(root)/patterns") {
            let dir = "\(root)/patterns/\(pack)/testdata"
            files += ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasSuffix(".golden") }.map { "\(dir)/\($0)" }
        }
        files += try fm.contentsOfDirectory(atPath: Repository.fixtures).filter { $0.hasSuffix(".log") }
            .map { "\(Repository.fixtures)/\($0)" }
        let tally = try compare(files)
        #expect(tally.checked > 2_000, "matches compared: \(tally.checked)")
        #expect(tally.prefiltered > tally.rules / 2, "most shipped patterns have a prefilter: \(tally.prefiltered) of \(tally.rules)")
        #expect(tally.filtered > tally.subjects, "the prefilter spares PCRE2 most lines")
    }

    /// The same on loghub's samples, when a copy is present (skipped, and reported as
    /// skipped, otherwise): more real lines, no assertion that the fixtures do not make.
    @Test(.enabled(if: Repository.loghub != nil, "no loghub copy (set $CRIER_LOGHUB_DIR)"))
    func noShippedPatternLosesAMatchOnLoghub() throws {
        let corpus = try #require(Repository.loghub)
        let fm = FileManager.default
        var files: [String] = []
        for dir in try fm.contentsOfDirectory(atPath: corpus) {
            files += ((try? fm.contentsOfDirectory(atPath: "\(corpus)/\(dir)")) ?? []).filter { $0.hasSuffix(".log") }
                .map { "\(corpus)/\(dir)/\($0)" }
        }
        #expect(!files.isEmpty, "no .log file under \(corpus)")
        let tally = try compare(files)
        #expect(tally.checked > 0)
    }

    /// Matches every shipped matcher against every line (whole, and after the syslog prefix,
    /// where most patterns anchor) with and without its prefilter.
    func compare(_ files: [String]) throws -> Tally {
        var subjects: [String] = []
        for file in files {
            for line in try String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isNewline) {
                subjects.append(String(line))
                if let r = line.firstRange(of: ": ") { subjects.append(String(line[r.upperBound...])) }
            }
        }
        let rules = try ConfigLoader().loadEmbeddedDefault().rules.rules
        let scratch = RegexScratch()
        var tally = Tally(subjects: subjects.count, rules: rules.count)
        for rule in rules {
            for matcher in [rule.matcher, rule.start, rule.end, rule.expect].compactMap({ $0 }) {
                guard let regex = matcher.regex else { continue }
                if regex.prefilter != nil { tally.prefiltered += 1 }
                let fast = RegexMatcher(regex, scratch: scratch)
                let plain = RegexMatcher(try Regex(regex.pattern, prefilter: false), scratch: scratch)
                for subject in subjects {
                    var bytes = Array(subject.utf8)
                    let (a, b) = bytes.withUnsafeMutableBytes { raw in
                        (fast.match(UnsafeRawBufferPointer(raw)), plain.match(UnsafeRawBufferPointer(raw)))
                    }
                    #expect(a == b, "\(rule.id): \(subject)")
                    if b == .match { tally.checked += 1 }
                    if a == .noMatch, let p = regex.prefilter, !bytes.withUnsafeBytes({ p.mayMatch($0) }) { tally.filtered += 1 }
                }
            }
        }
        return tally
    }
}
