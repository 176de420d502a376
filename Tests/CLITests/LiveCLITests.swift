import CrierTestSupport
import Foundation
import Testing

/// A running `crier`, read as it writes. Waits are on the process's own output (a
/// condition variable signalled by the reader threads), never on the clock; the deadline
/// only guards against a hung test.
final class LiveProcess: @unchecked Sendable {
    let process = Process()
    private let condition = NSCondition()
    private var stdoutText = ""
    private var stderrText = ""
    private var readers = 0

    init(_ arguments: [String], environment: [String: String] = [:], stdin: FileHandle? = nil) throws {
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "TZ": "UTC", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin ?? FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        read(out.fileHandleForReading, isStdout: true)
        read(err.fileHandleForReading, isStdout: false)
    }

    private func read(_ handle: FileHandle, isStdout: Bool) {
        condition.lock()
        readers += 1
        condition.unlock()
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                condition.lock()
                if data.isEmpty {
                    readers -= 1
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                if isStdout { stdoutText += String(decoding: data, as: UTF8.self) } else {
                    stderrText += String(decoding: data, as: UTF8.self)
                }
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    var stdout: String { condition.withLock { stdoutText } }
    var stderr: String { condition.withLock { stderrText } }

    /// Waits until `predicate(stdout, stderr)` holds; false if the process ended first or
    /// 60 s passed.
    @discardableResult
    func waitFor(_ predicate: (String, String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(stdoutText, stderrText) {
            if readers == 0 { return predicate(stdoutText, stderrText) }
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    func waitForStdout(_ text: String, count: Int = 1) -> Bool {
        waitFor { out, _ in out.components(separatedBy: text).count - 1 >= count }
    }

    func waitUntilRunning() -> Bool { waitFor { _, err in err.contains("crier running") } }

    /// SIGTERM, then waits for the exit; returns the status.
    func terminate() -> Int32 {
        process.terminate()
        return finish()
    }

    /// kill -9.
    func kill9() { kill(process.processIdentifier, SIGKILL) }

    func finish() -> Int32 {
        process.waitUntilExit()
        waitFor { _, _ in false }  // returns once both pipes are drained
        return process.terminationStatus
    }
}

func sqlite(_ db: String, _ query: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = [db, query]
    let out = Pipe()
    p.standardOutput = out
    try? p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

let haveSQLite = FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")

func isoNow(offset: TimeInterval = 0) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: Date().addingTimeInterval(offset))
}

@Suite struct LiveCLITests {
    func config(_ dir: TempDirectory, sources: String, extra: String = "") -> String {
        dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            sources:
            \(sources)
            defaults: {group_wait: 0s}
            \(extra)

            """)
    }

    @Test func followsAFileAlertsOnTheConsoleAndStopsCleanly() throws {
        let dir = TempDirectory()
        let log = dir.write("logs/app.log", "old line, before crier started: Failed password for root from 10.0.0.1 port 1 ssh2\n")
        let cfg = config(dir, sources: "  - {type: file, paths: [\"\(dir.path)/logs/*.log\"]}")
        let crier = try LiveProcess(["run", "--config", cfg])
        #expect(crier.waitUntilRunning(), "\(crier.stderr)")
        let h = FileHandle(forWritingAtPath: log)!
        h.seekToEndOfFile()
        h.write(Data("\(isoNow()) web-1 sshd[7]: Failed password for invalid user admin from 203.0.113.50 port 4 ssh2\n".utf8))
        #expect(crier.waitForStdout("SSH login failures from 203.0.113.50"), "\(crier.stdout)\n\(crier.stderr)")
        #expect(crier.terminate() == 0, "\(crier.stderr)")
        #expect(!crier.stdout.contains("10.0.0.1"), "history before the start is not read")
    }

    @Test(.enabled(if: journalRemoteInstalled && haveSQLite))
    func followsAJournalDirectory() throws {
        let dir = TempDirectory()
        let journal = "\(dir.path)/journal"
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        try JournalFixture.write([.text("Server listening on 0.0.0.0 port 22.", realtime: now, index: 1)], to: journal)
        let cfg = config(dir, sources: "  - {type: journal, directory: \"\(journal)\", units: [ssh.service]}")
        let crier = try LiveProcess(["run", "--config", cfg])
        #expect(crier.waitUntilRunning(), "\(crier.stderr)")
        try JournalFixture.write([
            .text("Failed password for root from 198.51.100.4 port 22 ssh2", realtime: now + 1_000, index: 2),
            .text("Failed password for root from 198.51.100.99 port 22 ssh2", realtime: now + 2_000, index: 3, unit: "other.service"),
        ], to: journal)
        #expect(crier.waitForStdout("SSH login failures from 198.51.100.4"), "\(crier.stdout)\n\(crier.stderr)")
        #expect(crier.terminate() == 0)
        #expect(!crier.stdout.contains("198.51.100.99"), "the unit filter holds")
        let position = sqlite("\(dir.path)/state/crier.db", "SELECT position FROM source_checkpoint")
        #expect(position.contains("\"cursor\""))
    }

    /// kill -9 in the middle of a 100k-line file, then a restart: the outbox ends up with
    /// exactly the occurrences of every matching line, none missing, none doubled.
    @Test(.enabled(if: haveSQLite))
    func sigkillMidFileLosesNothingAndDoublesNothing() throws {
        let dir = TempDirectory()
        var text = ""
        var expected = 0
        let base = Date().addingTimeInterval(-30)
        for i in 0..<100_000 {
            let stamp = isoFormatter.string(from: base.addingTimeInterval(Double(i) / 10_000))
            if i % 50 == 7 {
                text += "\(stamp) web-\(i % 3) sshd[\(i)]: Failed password for root from 203.0.113.\(i % 40) port \(i) ssh2\n"
                expected += 1
            } else if i % 97 == 3 {
                text += "\(stamp) w celery[9]: Task app.tasks.t\(i % 5)[\(i)] raised unexpected: ValueError('v')\n"
                expected += 1
            } else {
                text += "\(stamp) web-1 app[3]: GET /api/v1/items/\(i) 200 in 12ms\n"
            }
        }
        let log = dir.write("logs/big.log", text)
        let cfg = config(dir, sources: "  - {type: file, paths: [\"\(log)\"], read_from_head: true}",
                         extra: "notifiers: [{name: queue, type: webhook, webhook_url: \"https://hooks.example.com/x\"}]")
        // The first run kills itself with SIGKILL after 37 of its 100 chunks, before committing the 37th.
        let first = try LiveProcess(["run", "--config", cfg], environment: ["CRIER_TEST_SIGKILL_AFTER_CHUNKS": "37"])
        _ = first.finish()
        #expect(first.process.terminationReason == .uncaughtSignal)
        let db = "\(dir.path)/state/crier.db"
        let offset = Int(sqlite(db, "SELECT json_extract(position, '$.file.offset') FROM source_checkpoint")) ?? -1
        #expect(offset > 0 && offset < text.utf8.count, "stopped in the middle (offset \(offset))")

        // The second run reads the rest; SIGTERM then flushes every group into the outbox.
        let second = try LiveProcess(["run", "--config", cfg], environment: ["CRIER_LOG_LEVEL": "debug"])
        #expect(second.waitUntilRunning())
        #expect(second.waitFor { _, err in err.contains("file:\(log)@\(text.utf8.count)") }, "read to the end")
        #expect(second.terminate() == 0, "\(second.stderr)")
        let counted = Int(sqlite(db, "SELECT SUM(count) FROM outbox")) ?? -1
        let pending = Int(sqlite(db, "SELECT COALESCE(SUM(json_extract(state, '$.pendingCount')), 0) FROM alert_group")) ?? -1
        // A Celery failure still waiting for its traceback is saved, not sent: it resumes
        // with its traceback after the next start.
        let held = Int(sqlite(db, "SELECT COALESCE(SUM(json_array_length(snapshot, '$.hits')), 0) FROM held_record")) ?? -1
        #expect(pending == 0)
        #expect(counted + held == expected, "outbox counts \(counted) and \(held) held for \(expected) matching lines")
        let firsts = sqlite(db, "SELECT COUNT(*) FROM outbox WHERE reason = 'first'")
        let groups = sqlite(db, "SELECT COUNT(DISTINCT fingerprint) FROM outbox")
        #expect(firsts == groups, "one first message per group, never posted twice")
    }

    @Test(.enabled(if: haveSQLite))
    func aRestartInTheMiddleOfABurstDoesNotPostTheFirstMessageAgain() throws {
        let dir = TempDirectory()
        let log = dir.write("logs/app.log", "")
        let cfg = config(dir, sources: "  - {type: file, paths: [\"\(log)\"]}")
        func append(_ line: String) {
            let h = FileHandle(forWritingAtPath: log)!
            h.seekToEndOfFile()
            h.write(Data("\(isoNow()) w sshd[9]: \(line)\n".utf8))
            try? h.close()
        }
        func size() -> Int { (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? -1 }
        let first = try LiveProcess(["run", "--config", cfg])
        #expect(first.waitUntilRunning())
        append("Failed password for root from 192.0.2.10 port 1 ssh2")
        #expect(first.waitForStdout("(first)"))
        #expect(first.terminate() == 0)
        append("Failed password for root from 192.0.2.10 port 2 ssh2")
        let second = try LiveProcess(["run", "--config", cfg], environment: ["CRIER_LOG_LEVEL": "debug"])
        #expect(second.waitUntilRunning())
        append("Failed password for root from 192.0.2.10 port 3 ssh2")
        let end = size()
        #expect(second.waitFor { _, err in err.contains("file:\(log)@\(end)") }, "\(second.stderr)")
        #expect(second.terminate() == 0)
        let reasons = sqlite("\(dir.path)/state/crier.db", "SELECT reason || ':' || count FROM outbox ORDER BY id")
        #expect(reasons == "first:1\nburst:2", "\(reasons)")
        #expect(!second.stdout.contains("(first"))
    }

    /// A task started before a `kill -9` is still watched after the restart: its deadline
    /// passes while crier is down and it is reported stuck once, then resolved by its end.
    @Test(.enabled(if: haveSQLite))
    func anOpenTaskSurvivesKill9AndIsReportedStuckAfterTheRestart() throws {
        let dir = TempDirectory()
        let log = dir.write("logs/worker.log", "")
        let cfg = config(dir, sources: "  - {type: file, paths: [\"\(log)\"]}", extra: """
            packs: []
            rules:
              - id: task_stuck
                start: {regex: 'Task (?<task>\\S+)\\[(?<task_id>[\\w-]+)\\] received'}
                end: {regex: 'Task \\S+\\[(?<task_id>[\\w-]+)\\] succeeded'}
                key: task_id
                timeout: 1s
                resolve: true
                state: queued
            """)
        func append(_ line: String) {
            let h = FileHandle(forWritingAtPath: log)!
            h.seekToEndOfFile()
            h.write(Data("\(isoNow()) w celery[9]: \(line)\n".utf8))
            try? h.close()
        }
        let first = try LiveProcess(["run", "--config", cfg], environment: ["CRIER_LOG_LEVEL": "debug"])
        #expect(first.waitUntilRunning())
        append("Task app.render[k-1] received")
        let size = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? -1
        #expect(first.waitFor { _, err in err.contains("file:\(log)@\(size)") }, "the start is saved")
        first.kill9()
        _ = first.finish()
        #expect(sqlite("\(dir.path)/state/crier.db", "SELECT key FROM correlation_key") == "k-1")
        let second = try LiveProcess(["run", "--config", cfg])
        #expect(second.waitForStdout("Task k-1 stuck in queued for over 1 s"), "\(second.stdout)\(second.stderr)")
        append("Task app.render[k-1] succeeded in 5.0s: None")
        #expect(second.waitForStdout("Task k-1 finished after"), "\(second.stdout)")
        #expect(second.terminate() == 0)
        #expect(second.stdout.components(separatedBy: "stuck in queued for over").count == 2, "reported once")
        #expect(sqlite("\(dir.path)/state/crier.db", "SELECT COUNT(*) FROM correlation_key") == "0")
    }

    @Test(.enabled(if: haveSQLite))
    func recordsOlderThanMaxAgeUpdateStateButDoNotAlert() throws {
        let dir = TempDirectory()
        let old = isoNow(offset: -3_600)
        let log = dir.write("logs/app.log", "\(old) w sshd[1]: Failed password for root from 192.0.2.77 port 1 ssh2\n")
        let cfg = config(dir, sources: "  - {type: file, paths: [\"\(log)\"], read_from_head: true, max_age: 10m}")
        let crier = try LiveProcess(["run", "--config", cfg])
        #expect(crier.waitUntilRunning())
        let h = FileHandle(forWritingAtPath: log)!
        h.seekToEndOfFile()
        h.write(Data("\(isoNow()) w sshd[2]: Failed password for root from 192.0.2.88 port 1 ssh2\n".utf8))
        #expect(crier.waitForStdout("192.0.2.88"))
        #expect(crier.terminate() == 0)
        #expect(!crier.stdout.contains("192.0.2.77"))
        let groups = sqlite("\(dir.path)/state/crier.db", "SELECT COUNT(*) FROM alert_group")
        #expect(groups == "2", "the old record still counts for dedup")
    }

    @Test func aDamagedStateFileIsRefusedAndResetStateKeepsIt() throws {
        let dir = TempDirectory()
        dir.write("state/crier.db", String(repeating: "garbage ", count: 1_000))
        let cfg = config(dir, sources: "  - {type: file, paths: [\"\(dir.path)/none.log\"]}")
        let refused = try CLI.run(["run", "--config", cfg])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(dir.path)/state/crier.db") && refused.stderr.contains("--reset-state"))
        let crier = try LiveProcess(["run", "--config", cfg, "--reset-state"])
        #expect(crier.waitUntilRunning(), "\(crier.stderr)")
        #expect(crier.terminate() == 0)
        let kept = try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/state").filter { $0.hasPrefix("crier.db.reset-") }
        #expect(kept.count == 1)
    }
}

nonisolated(unsafe) let isoFormatter: ISO8601DateFormatter = {
    // Only read after initialisation (formatting is thread-safe).
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f
}()

let journalRemoteInstalled = JournalFixture.available

/// A NOTIFY_SOCKET as systemd provides it: an AF_UNIX datagram socket crier writes to.
final class NotifySocket {
    let path: String
    private let fd: Int32

    init(in dir: TempDirectory) {
        path = "\(dir.path)/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)  // guard only: a datagram normally arrives at once
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// The next datagram, waiting for it (nil after the guard timeout).
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }
}

@Suite struct SystemdIntegrationTests {
    @Test func readinessStatusAndWatchdogGoToNotifySocket() throws {
        let dir = TempDirectory()
        let socket = NotifySocket(in: dir)
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            sources: [{type: file, paths: ["\(dir.path)/*.log"]}]

            """)
        let crier = try LiveProcess(["run", "--config", cfg],
                                    environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000"])
        var messages: [String] = []
        while let m = socket.receive() {
            messages.append(m)
            if messages.contains(where: { $0.contains("READY=1") }) && messages.contains("WATCHDOG=1") { break }
        }
        #expect(messages.contains { $0.hasPrefix("READY=1\nSTATUS=following files") }, "\(messages)")
        #expect(messages.contains("WATCHDOG=1"), "\(messages)")
        #expect(crier.terminate() == 0)
        #expect(socket.receive() == "STOPPING=1")
    }

    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser")))
    func anUnreadableJournalNamesTheGroupToJoin() throws {
        let dir = TempDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let journal = dir.path + "/journal"
        try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let cfg = dir.write("crier.yaml", """
            state_dir: /tmp/crier-nobody-\(UUID().uuidString)
            sources: [{type: journal, directory: "\(journal)"}]

            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: cfg)
        let r = try CLI.run(["-u", "nobody", "--", CLI.binary, "run", "--config", cfg], executable: "/usr/sbin/runuser")
        #expect(r.status == 1)
        #expect(r.stderr.contains("no permission to read the journal (\(journal))"))
        #expect(r.stderr.contains("'systemd-journal' group"))
    }
}

@Suite struct EmbeddedDefaultCLITests {
    @Test func crierAloneReadsPipedInputAndFlushesAtItsEnd() throws {
        let dir = TempDirectory()
        let input = dir.write("in.log", "Nov 23 10:00:00 h sshd[1]: Failed password for root from 10.9.8.7 port 22 ssh2\n")
        let crier = try LiveProcess([], environment: ["CRIER_CONFIG": "", "STATE_DIRECTORY": "\(dir.path)/state"],
                                    stdin: FileHandle(forReadingAtPath: input))
        #expect(crier.finish() == 0, "\(crier.stderr)")
        #expect(crier.stdout.contains("SSH login failures from 10.9.8.7"), "\(crier.stderr)")
        #expect(crier.stderr.contains("following standard input"))
    }
}

@Suite struct DeliveryCLITests {
    /// Issue acceptance: a 10,000-alert storm over 50 groups into one Discord webhook that
    /// allows 5 requests per 2 s and 30 per minute.
    @Test func aStormIsDeliveredWithinTheLimitsAndEveryGroupShows() throws {
        let discord = try DiscordEmulator()
        let dir = TempDirectory()
        var log = ""
        let base = Date(timeIntervalSince1970: 1_795_428_000)
        for i in 0..<10_000 {
            let stamp = isoFormatter.string(from: base.addingTimeInterval(Double(i) * 0.06))
            log += "\(stamp) w celery[9]: Task app.tasks.job\(i % 50)[\(i)] raised unexpected: TimeoutError('t')\n"
        }
        let input = dir.write("storm.log", log)
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            packs: [celery]
            notifiers:
              - {name: discord, type: discord, webhook_url: "\(discord.url)"}

            """)
        let r = try CLI.run(["replay", "--send", "--config", cfg, input])
        #expect(r.status == 0, "\(r.stderr)")
        let seen = discord.snapshot
        #expect(seen.rateLimited == 0, "no request inside a full window")
        #expect(seen.invalid == 0, "no payload Discord would refuse")
        #expect(!seen.accepted.isEmpty && seen.accepted.count <= 10, "\(seen.accepted.count) messages")
        // As Discord shows it: log text in the payload is Markdown-escaped (`app\.tasks\.job3`).
        let text = seen.accepted.joined().replacingOccurrences(of: "\\\\", with: "")
        let missing = (0..<50).filter { !text.contains("app.tasks.job\($0) ") }
        #expect(missing.isEmpty, "groups not represented: \(missing)")
        #expect(text.contains("10,000 alerts in 50 groups"))
        let db = "\(dir.path)/state/crier.db"
        #expect(sqlite(db, "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'retrying', 'rate_limited')") == "0")
        #expect(r.stdout.contains("discord: delivered"))
    }

    /// `producer | crier run` with a network notifier: what the input raised is delivered
    /// before crier exits, within the webhook's pacing.
    @Test func whenPipedInputEndsWaitingMessagesAreDeliveredBeforeExit() throws {
        let server = try FakeWebhookServer { _ in .respond(status: 204) }
        let dir = TempDirectory()
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            sources: [{type: stdin}]
            defaults: {group_wait: 0s}
            notifiers:
              - {name: hook, type: webhook, webhook_url: "\(server.url)/in", rate_limit: {per_second: 2}}

            """)
        var input = ""
        for i in 0..<4 { input += "\(isoNow()) w sshd[\(i)]: Failed password for root from 192.0.2.\(i) port 22 ssh2\n" }
        let r = try CLI.run(["run", "--config", cfg], stdin: input)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(server.requests.count == 4, "\(r.stderr)")
        let times = server.requests.map(\.receivedAt)
        #expect(times[2] - times[0] >= 0.9, "the pacing (2 per second) holds while draining")
        #expect(r.stderr.contains("delivering") && r.stderr.contains("before exit"), "\(r.stderr)")
    }

    /// kill -9 while a request is in flight: after a restart everything is delivered, and
    /// at most that one request is repeated.
    @Test(.enabled(if: haveSQLite)) func sigkillDuringDeliveryLosesNothing() throws {
        let hanging = ManagedAtomicFlag()
        let server = try FakeWebhookServer { r in hanging.isSet ? .respond(status: 204) : .hang }
        defer { server.releaseHangs() }
        let dir = TempDirectory()
        let log = dir.write("logs/app.log", "")
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            sources: [{type: file, paths: ["\(log)"]}]
            defaults: {group_wait: 0s}
            notifiers:
              - {name: hook, type: webhook, webhook_url: "\(server.url)/in", timeout: 60s}

            """)
        let first = try LiveProcess(["run", "--config", cfg])
        #expect(first.waitUntilRunning())
        var text = ""
        for i in 0..<5 { text += "\(isoNow()) w sshd[\(i)]: Failed password for root from 192.0.2.\(i) port 22 ssh2\n" }
        let h = FileHandle(forWritingAtPath: log)!
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        #expect(server.waitForRequests(1), "the first request is in flight")
        first.kill9()
        _ = first.finish()
        hanging.set()
        server.releaseHangs()
        let db = "\(dir.path)/state/crier.db"
        #expect(sqlite(db, "SELECT COUNT(*) FROM outbox") == "5")
        let second = try LiveProcess(["run", "--config", cfg])
        #expect(second.waitUntilRunning())
        #expect(server.waitForRequests(6))
        #expect(second.terminate() == 0)
        #expect(sqlite(db, "SELECT COUNT(*) FROM outbox WHERE status = 'delivered'") == "5")
        let bodies = server.requests.map(\.bodyText)
        #expect(Set(bodies).count == 5, "every message arrived")
        #expect(bodies.count == 6, "only the request in flight was repeated")
    }
}

/// A flag set once, read from the server's threads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// `send-test`, `status`, `history`, `stats` against a real loopback webhook and the real
/// state file. The webhook token must never be printed.
@Suite struct AdminCLITests {
    static let token = "sEcReTtOkEn-4f1c9a"

    func setUp() throws -> (dir: TempDirectory, cfg: String, server: FakeWebhookServer) {
        let server = try FakeWebhookServer { r in
            // The "gone" webhook was deleted on the Discord side.
            r.path.contains("/gone/") ? .respond(status: 404, body: #"{"message": "Unknown Webhook", "code": 10015}"#)
                : .respond(status: 200, headers: [("Content-Type", "application/json")], body: #"{"id": "1001"}"#)
        }
        let dir = TempDirectory()
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            notifiers:
              - {name: ops, type: discord, webhook_url: "\(server.url)/api/webhooks/1/\(Self.token)"}
              - {name: old, type: discord, webhook_url: "\(server.url)/gone/api/webhooks/2/\(Self.token)"}

            """)
        return (dir, cfg, server)
    }

    @Test func sendTestReportsEachNotifierAndADeletedWebhookDisablesIt() throws {
        let (dir, cfg, server) = try setUp()
        defer { withExtendedLifetime(dir) {} }
        let r = try CLI.run(["send-test", "--config", cfg])
        #expect(r.status == 1, "one notifier failed")
        #expect(r.stdout.contains("ops (discord): delivered"), "\(r.stdout)")
        #expect(r.stdout.contains("old (discord): dead"), "\(r.stdout)")
        #expect(r.stdout.contains("old is disabled until its webhook_url is changed"), "\(r.stdout)")
        #expect(server.requests.count == 2, "a 404 is not retried")
        let posted = server.requests.first { !$0.path.contains("/gone/") }
        #expect(posted?.bodyText.contains("crier test message") == true)
        #expect(!(r.stdout + r.stderr).contains(Self.token))

        let only = try CLI.run(["send-test", "--config", cfg, "--notifier", "ops"])
        #expect(only.status == 0 && server.requests.count == 3, "\(only.stdout)")
        let unknown = try CLI.run(["send-test", "--config", cfg, "--notifier", "nope"])
        #expect(unknown.status == 2 && unknown.stderr.contains("notifiers: ops, old"), "\(unknown.stderr)")
    }

    @Test func statusHistoryAndStatsDescribeWhatHappened() throws {
        let (dir, cfg, server) = try setUp()
        defer { withExtendedLifetime(server) {} }
        let before = try CLI.run(["status", "--config", cfg])
        #expect(before.status == 1 && before.stderr.contains("no state database in \(dir.path)/state"), "\(before.stderr)")
        _ = try CLI.run(["send-test", "--config", cfg])

        let status = try CLI.run(["status", "--config", cfg])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("ops (discord): 0 waiting, breaker closed"), "\(status.stdout)")
        #expect(status.stdout.contains("old (discord): 0 waiting"), "\(status.stdout)")
        #expect(status.stdout.contains("DISABLED"), "\(status.stdout)")
        #expect(status.stdout.contains("limits: 5 per 2s"), "\(status.stdout)")

        let history = try CLI.run(["history", "--config", cfg])
        #expect(history.status == 0)
        let lines = history.stdout.split(separator: "\n").filter { $0.contains("#") }
        #expect(lines.count == 2, "\(history.stdout)")
        #expect(lines.contains { $0.contains("ops  delivered") && $0.contains("HTTP 200") }, "\(history.stdout)")
        #expect(lines.contains { $0.contains("old  dead") && $0.contains("HTTP 404") }, "\(history.stdout)")
        let dead = try CLI.run(["history", "--config", cfg, "--status", "dead"])
        #expect(dead.stdout.split(separator: "\n").filter { $0.contains("#") }.count == 1)
        #expect(dead.stdout.contains("Unknown Webhook"), "the server's reason is kept: \(dead.stdout)")

        let stats = try CLI.run(["stats", "--config", cfg, "--since", "1h"])
        #expect(stats.status == 0)
        #expect(stats.stdout.contains("ops: success 100.0%"), "\(stats.stdout)")
        #expect(stats.stdout.contains("old: success 0.0%"), "\(stats.stdout)")
        #expect(stats.stdout.contains("crier.test"), "\(stats.stdout)")
        let badSince = try CLI.run(["stats", "--config", cfg, "--since", "soon"])
        #expect(badSince.status == 2)

        for output in [status, history, dead, stats] { #expect(!(output.stdout + output.stderr).contains(Self.token)) }
        let db = "\(dir.path)/state/crier.db"
        if haveSQLite {
            #expect(!sqlite(db, "SELECT * FROM notifier_state").contains(Self.token))
            #expect(!sqlite(db, "SELECT last_error FROM outbox").contains(Self.token))
        }
    }
}

/// libcurl's proxy variables are honoured, as every other tool on the host honours them.
@Suite struct ProxyCLITests {
    @Test func httpProxyFromTheEnvironmentIsUsed() throws {
        let proxy = try FakeWebhookServer { _ in .respond(status: 204) }
        let dir = TempDirectory()
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            notifiers: [{name: hook, type: webhook, webhook_url: "http://hooks.example.invalid/in"}]

            """)
        let r = try CLI.run(["send-test", "--config", cfg], environment: ["http_proxy": proxy.url])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(proxy.requests.first?.path == "http://hooks.example.invalid/in", "the request went through the proxy")
    }
}

/// A server that quotes the request back in its error (some proxies do) must not make crier
/// print or store a credential, for any kind of notifier.
@Suite struct SecretCLITests {
    @Test func noCredentialLeaksThroughAnEchoingServer() throws {
        let secrets = CredentialFixture.secrets
        let fixture = try CredentialFixture()
        let server = fixture.server
        let dir = TempDirectory()
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            \(fixture.notifiersYAML(dir))

            """)
        let check = try CLI.run(["check", "--config", cfg])
        let sent = try CLI.run(["send-test", "--config", cfg])
        #expect(sent.status == 1)
        #expect(sent.stdout.contains("HTTP 500: upstream failed for POST"), "the server's answer is shown: \(sent.stdout)")
        #expect(sent.stdout.contains("m (email): dead"), "\(sent.stdout)")
        #expect(server.requests.contains { $0.headers["authorization"] == "Bearer \(secrets[3])" }, "the header was sent")
        let status = try CLI.run(["status", "--config", cfg])
        let history = try CLI.run(["history", "--config", cfg])
        let db = haveSQLite ? sqlite("\(dir.path)/state/crier.db", "SELECT * FROM notifier_state; SELECT last_error FROM outbox;") : ""
        let everything = [check, sent, status, history].map { $0.stdout + $0.stderr }.joined() + db
        for secret in secrets { #expect(!everything.contains(secret), "\(secret) leaked") }
        #expect(everything.contains("…(redacted)"))
    }
}
