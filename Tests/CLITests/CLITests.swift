import CrierTestSupport
import Foundation
import Testing

/// The built `crier` binary, run as a user runs it.
enum CLI {
    static var binary: String {
        // The test runner lives in .build/<triple>/<config>/, beside the crier executable.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("crier").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return "\(Repository.root())/.build/debug/crier"
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                    executable: String? = nil, directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? binary)
        process.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "TZ": "UTC", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { _, new in new }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: directory ?? Repository.root())
        // Output goes to files, not pipes: nothing can fill up and block, nothing to drain.
        let dir = TempDirectory("crier-cli")
        let outPath = dir.write("stdout", ""), errPath = dir.write("stderr", "")
        let inPath = dir.write("stdin", stdin ?? "")
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardInput = FileHandle(forReadingAtPath: inPath)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// The shipped packs travel inside the binary: run from a directory without `patterns/`,
/// `crier check` (the embedded default) lists every pack directory of the repository.
@Suite struct EmbeddedPacksCLITests {
    @Test func checkListsEveryShippedPackAwayFromTheRepository() throws {
        let elsewhere = TempDirectory("crier-elsewhere")
        let r = try CLI.run(["check"], directory: elsewhere.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("configuration <embedded default>: OK"))
        let root = Repository.root()
        let shipped = try FileManager.default.contentsOfDirectory(atPath: "\(root)/patterns")
            .filter { FileManager.default.fileExists(atPath: "\(root)/patterns/\($0)/pack.yaml") }
        // "  packs (11): audit (4), celery (20), …"
        let listed = r.stdout.split(separator: "\n").first { $0.contains("packs (") }
            .map { $0.split(separator: ": ", maxSplits: 1).last!.split(separator: ", ").map { String($0.prefix { $0 != " " }) } } ?? []
        #expect(shipped.count > 5)
        #expect(Set(listed) == Set(shipped), "\(r.stdout)")
    }
}

/// An SSH server under attack, written for the tests in the shape of loghub's OpenSSH sample
/// (Tests/Fixtures/README.md); the same checks run on loghub's own sample when a copy is
/// present.
let openSSHFixture = "\(Repository.fixtures)/openssh.log"
let loghubOpenSSH = Repository.loghub.map { "\($0)/OpenSSH/OpenSSH_2k.log" }
let haveLoghubOpenSSH = loghubOpenSSH.map { FileManager.default.fileExists(atPath: $0) } ?? false

@Suite struct ReplayCLITests {
    @Test func openSSHLogGivesPerRuleCountsAndFewFoldedMessages() throws {
        try checkCountsAndFolding(openSSHFixture, lines: "1,414", minMatched: 900)
    }

    @Test func noAcceptedLoginMatchesAndEveryFailureDoes() throws {
        try checkFailuresAndLogins(openSSHFixture, minFailures: 600)
    }

    @Test(.enabled(if: haveLoghubOpenSSH, "no loghub copy with OpenSSH/OpenSSH_2k.log (set $CRIER_LOGHUB_DIR)"))
    func loghubOpenSSHSmoke() throws {
        let log = try #require(loghubOpenSSH)
        try checkCountsAndFolding(log, lines: "2,000", minMatched: 1_000)
        try checkFailuresAndLogins(log, minFailures: 1_000)
    }

    func checkCountsAndFolding(_ log: String, lines: String, minMatched: Int) throws {
        let r = try CLI.run(["--replay", log])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("lines \(lines)"))
        for rule in ["sshd.failed_password", "sshd.invalid_user", "sshd.pam_auth_failure", "sshd.too_many_failures"] {
            #expect(r.stdout.contains(rule), "\(rule) missing from the per-rule counts")
        }
        let jsonl = try CLI.run(["replay", "--output", "jsonl", log])
        let events = jsonl.stdout.split(separator: "\n").map { parseJSON(String($0)) as! [String: Any] }
        let summary = events.last!
        let notifications = summary["notifications"] as! Int
        let matched = summary["matched"] as! Int
        #expect(matched > minMatched)
        #expect(notifications > 0 && notifications * 10 < matched, "\(notifications) messages for \(matched) matches")
        // Every message folds something: the counts add up to at least the matches.
        let counted = events.filter { $0["type"] as? String == "notification" }.reduce(0) { $0 + ($1["count"] as! Int) }
        #expect(counted >= matched)
    }

    func checkFailuresAndLogins(_ log: String, minFailures: Int) throws {
        let r = try CLI.run(["replay", "--output", "jsonl", "--matches", log])
        // Split on bytes: the log has CRLF endings, and "\r\n" is one Character.
        let lines = try Data(contentsOf: URL(fileURLWithPath: log)).split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let matchedLines = r.stdout.split(separator: "\n").compactMap { parseJSON(String($0)) as? [String: Any] }
            .filter { $0["type"] as? String == "match" }.map { $0["line"] as! Int }
        #expect(!matchedLines.isEmpty)
        #expect(lines.contains { $0.contains("Accepted ") } && lines.contains { $0.contains("session opened") },
                "the log has logins that must not match")
        for n in matchedLines {
            let line = lines[n - 1]
            #expect(!line.contains("Accepted ") && !line.contains("session opened"), "line \(n): \(line)")
        }
        // And every authentication failure matches, by a classification independent of the pack.
        let failure = /Failed (password|publickey|none|keyboard-interactive)|[Ii]nvalid user \S+ from|authentication failure;|Too many authentication failures|maximum authentication attempts/
        let matched = Set(matchedLines)
        let missed = lines.indices.filter { lines[$0].contains(failure) && !matched.contains($0 + 1) }
        #expect(lines.filter { $0.contains(failure) }.count > minFailures)
        #expect(missed.isEmpty, "\(missed.count) failure lines unmatched, e.g. \(missed.prefix(3).map { lines[$0] })")
    }

    @Test func jsonlFollowsTheContract() throws {
        let r = try CLI.run(["replay", "--output", "jsonl", "--matches", "demo/sample.log"])
        #expect(r.status == 0, "\(r.stderr)")
        let events = r.stdout.split(separator: "\n").map { parseJSON(String($0)) as? [String: Any] }
        #expect(events.allSatisfy { $0 != nil }, "every line is one JSON object")
        let typed = events.compactMap { $0 }
        #expect(typed.last?["type"] as? String == "summary")
        let matchKeys = ["type", "line", "rule", "severity", "fields"]
        let notificationKeys = ["type", "notifier", "rule", "severity", "fingerprint", "reason", "count", "suppressed",
                                "first_seen", "last_seen", "title", "payload"]
        let summaryKeys = ["type", "lines", "records", "matched", "missed", "rules", "notifications", "elapsed_seconds"]
        // Stated keys come first and in the stated order; extra keys only after them.
        for line in r.stdout.split(separator: "\n") {
            let event = parseJSON(String(line)) as! [String: Any]
            let expected: [String]
            switch event["type"] as? String {
            case "match": expected = matchKeys
            case "notification": expected = notificationKeys
            case "summary": expected = summaryKeys
            default: Issue.record("unknown type in \(line)"); continue
            }
            let keys = orderedKeys(String(line))
            #expect(Array(keys.prefix(expected.count)) == expected, "\(line)")
        }
        let reasons = Set(typed.compactMap { $0["reason"] as? String })
        #expect(reasons.isSubset(of: ["first", "burst", "repeat", "resolved", "stuck", "absent", "digest"]))
        let iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
        for n in typed where n["type"] as? String == "notification" {
            #expect((n["first_seen"] as! String).wholeMatch(of: iso) != nil)
            #expect((n["fingerprint"] as! String).count == 16)
        }
    }

    /// Top-level keys of a JSON object line, in order (Foundation's parser loses the order).
    func orderedKeys(_ line: String) -> [String] {
        var keys: [String] = []
        var depth = 0, inString = false, escaped = false, current = "", expectingKey = false
        for ch in line {
            if inString {
                if escaped { escaped = false; current.append(ch); continue }
                if ch == "\\" { escaped = true; continue }
                if ch == "\"" { inString = false; if depth == 1 && expectingKey { keys.append(current); expectingKey = false } ; continue }
                current.append(ch)
                continue
            }
            switch ch {
            case "\"": inString = true; current = ""
            case "{", "[": depth += 1; if depth == 1 { expectingKey = true }
            case "}", "]": depth -= 1
            case ",": if depth == 1 { expectingKey = true }
            case ":": if depth == 1 { expectingKey = false }
            default: break
            }
        }
        return keys
    }

    @Test func demoShowsEachKindOfAlertOnce() throws {
        let r = try CLI.run(["replay", "demo/sample.log"])
        #expect(r.status == 0)
        for title in ["SSH login failures from 203.0.113.7", "Task render.tasks.render_montage failed: FFmpegError",
                      "FileNotFoundError in cleanup-cache", "hit its soft time limit"] {
            #expect(r.stdout.contains(title), "\(title)")
        }
        #expect(r.stdout.contains("tracebacks 4"))
    }

    @Test func stdinAndPrintMissed() throws {
        let r = try CLI.run(["replay", "--print-missed", "-"], stdin: "Nov 23 10:00:00 h sshd[1]: Failed password for root from 10.1.1.1 port 22 ssh2\nNov 23 10:00:01 h cron[2]: nothing to see\n")
        #expect(r.status == 0)
        #expect(r.stdout.contains("matched 1"))
        #expect(r.stdout.contains("2: nothing to see"))
    }

    @Test func unreadableInputIsOneClearErrorAndExit1() throws {
        let r = try CLI.run(["replay", "/nonexistent/worker.log"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("crier: cannot read /nonexistent/worker.log: No such file or directory"))
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func malformedJSONIsCountedWithLineNumbersAndNeverAborts() throws {
        let dir = TempDirectory()
        let file = dir.write("app.jsonl", """
            {"msg":"Task a.b[1] raised unexpected: ValueError('x')"}
            {"msg": truncated
            {"msg":"fine"}

            """)
        let r = try CLI.run(["replay", file])
        #expect(r.status == 0)
        #expect(r.stdout.contains("malformed 1"))
        #expect(r.stdout.contains("malformed line 2:"))
        #expect(r.stdout.contains("celery.task_failed"))
    }

    @Test func usageErrorsExit2() throws {
        #expect(try CLI.run(["replay"]).status == 2)
        #expect(try CLI.run(["replay", "--output", "xml", "demo/sample.log"]).status == 2)
        #expect(try CLI.run(["--help"]).status == 0)
    }
}

/// Stuck tasks, absences and digests in replay: on the log's own clock, in seconds.
@Suite struct CorrelationReplayCLITests {
    @Test func aDayOfLogShowsItsStuckTasksAbsencesAndDigests() throws {
        let dir = TempDirectory()
        let cfg = dir.write("crier.yaml", """
            packs: []
            rules:
              - id: task_stuck
                start: {regex: 'Task (?<task>\\S+)\\[(?<task_id>[\\w-]+)\\] received'}
                end: {regex: 'Task \\S+\\[(?<task_id>[\\w-]+)\\] (?:succeeded|raised)'}
                key: task_id
                timeout: 30m
                resolve: true
                state: queued
              - id: montage_missing
                description: nightly montage
                expect: {regex: 'montage completed'}
                by: "06:00"
            digests:
              - {name: daily, schedule: "07:00"}

            """)
        var log = ""
        func line(_ hour: Int, _ minute: Int, _ text: String) {
            log += "2026-11-23T\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute):00+00:00 w1 celery[1]: \(text)\n"
        }
        line(0, 0, "worker ready")
        line(0, 10, "Task app.render[a] received")
        line(0, 20, "Task app.render[a] succeeded in 600s: None")
        line(1, 0, "Task app.render[b] received")
        line(2, 0, "Task app.render[b] succeeded in 3600s: None")
        line(5, 50, "Task app.render[c] received")
        line(6, 0, "montage completed")          // the 06:00 window was not watched whole: no alert either way
        line(8, 0, "heartbeat")                  // c's deadline (06:20) passed in record time
        let input = dir.write("worker.log", log)
        let r = try CLI.run(["replay", "--utc", "--output", "jsonl", "--matches", "--config", cfg, input])
        #expect(r.status == 0, "\(r.stderr)")
        let events = r.stdout.split(separator: "\n").compactMap { parseJSON(String($0)) as? [String: Any] }
        #expect(!events.contains { $0["type"] as? String == "match" }, "start and end lines are not match events")
        let notes = events.filter { $0["type"] as? String == "notification" }
        let seen = notes.map { "\($0["reason"]!) \($0["decided_at"]!) \($0["title"]!)" }
        #expect(seen == [
            "stuck 2026-11-23T01:30:10.000Z Task b stuck in queued for over 30 min",
            "resolved 2026-11-23T02:00:10.000Z Task b finished after 1 h (was stuck in queued)",
            "stuck 2026-11-23T06:20:10.000Z Task c stuck in queued for over 30 min",
            "digest 2026-11-23T07:00:00.000Z Digest daily: 2 occurrences in 7 h",
        ], "\(seen)")
        let summary = events.last { $0["type"] as? String == "summary" }
        #expect((summary?["rules"] as? [String: Int])?["local.task_stuck"] == 2)
    }
}

@Suite struct CheckCLITests {
    @Test func brokenConfigListsEveryErrorWithFileAndLine() throws {
        let dir = TempDirectory()
        dir.write("packs/mine/pack.yaml", "pack: mine\nrules:\n  - id: a\n    regex: 'oops (unclosed'\n  - id: b\n    regex: 'ok'\n    severity: loud\n")
        let config = dir.write("crier.yaml", """
            packs: [sshd, \(dir.path)/packs/mine, nosuchpack]
            defaults: {group_wait: soon}
            notifiers:
              - name: chat
                type: discord
                webhook_url: ftp://discord.example/api/webhooks/1/TOPSECRET
            routes:
              - notifiers: [pager]

            """)
        let r = try CLI.run(["check", "--config", config])
        #expect(r.status == 1)
        let problems = r.stderr.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("    ") }
        #expect(problems.count == 6, "\(r.stderr)")
        #expect(r.stderr.contains("\(config):2: defaults.group_wait"))
        #expect(r.stderr.contains("nosuchpack"))
        // The pattern's own line and the column PCRE2 points at (the closing quote), not the rule's `- id:` line.
        #expect(r.stderr.contains("packs/mine/pack.yaml:4:27: rules[0].regex: rule 'mine.a'"))
        #expect(r.stderr.contains("rules[1].severity"))
        #expect(r.stderr.contains("routes[0].notifiers"))
        #expect(r.stderr.contains("notifiers[0].webhook_url"))
        #expect(!r.stderr.contains("TOPSECRET") && !r.stdout.contains("TOPSECRET"))
    }

    @Test func goodConfigPrintsASummaryWithoutSecrets() throws {
        let dir = TempDirectory()
        let config = dir.write("crier.yaml", """
            notifiers:
              - {name: chat, type: discord, webhook_url: "${HOOK}"}

            """)
        let r = try CLI.run(["check", "--config", config], environment: ["HOOK": "https://discord.com/api/webhooks/9/TOPSECRET"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("notifier chat: discord → https://discord.com/…(redacted)"))
        #expect(!r.stdout.contains("TOPSECRET"))
    }

    @Test func embeddedDefaultIsUsedWithoutAConfigFile() throws {
        let r = try CLI.run(["check"], environment: ["CRIER_CONFIG": ""])
        #expect(r.status == 0)
        #expect(r.stdout.contains("configuration <embedded default>: OK"))
        #expect(r.stdout.contains("notifier console: console"))
    }
}

@Suite struct TestCLITests {
    @Test func shippedPackGoldensPass() throws {
        let r = try CLI.run(["test", "patterns/sshd", "patterns/celery", "patterns/python"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("0 failed"))
    }

    @Test func aChangedGoldenFailsWithADiff() throws {
        let dir = TempDirectory()
        let root = Repository.root()
        for file in ["pack.yaml", "testdata/syslog.log", "testdata/syslog.golden"] {
            dir.write("sshd/\(file)", try String(contentsOfFile: "\(root)/patterns/sshd/\(file)", encoding: .utf8))
        }
        let golden = "\(dir.path)/sshd/testdata/syslog.golden"
        let edited = try String(contentsOfFile: golden, encoding: .utf8).replacingOccurrences(of: "\"user\":\"admin\"", with: "\"user\":\"admim\"")
        try edited.write(toFile: golden, atomically: true, encoding: .utf8)
        let r = try CLI.run(["test", "\(dir.path)/sshd"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL sshd/syslog.log"))
        let lines = r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains { $0.hasPrefix("- {\"type\":\"match\"") && $0.contains("\"user\":\"admim\"") }, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("+ {\"type\":\"match\"") && $0.contains("\"user\":\"admin\"") }, "\(r.stdout)")
    }
}
