import CrierTestSupport
import Foundation
import Testing

/// Log text is attacker-controlled: the built binary must never write a terminal control
/// sequence from it (replay report, `--print-missed`, console notifier, `crier history`),
/// and credentials in it must not reach the payload, the history or crier.db.
@Suite struct HostileOutputCLITests {
    /// Scalars a terminal acts on or that reorder what it shows: C0 but newline and tab,
    /// DEL, C1 (0x9B is CSI), bidi overrides and isolates.
    static func rawControls(_ text: String) -> [String] {
        text.unicodeScalars.filter { s in
            (s.value < 0x20 && s != "\n" && s != "\t") || (0x7F...0x9F).contains(s.value)
                || (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value)
        }.map { "U+" + String($0.value, radix: 16, uppercase: true) }
    }

    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}]8;;https://evil.example\u{1B}\\click\u{1B}]8;;\u{1B}\\"
        + " \u{1B}[2J\u{9B}31m over\rprint back\u{08}space \u{202E}evil\u{2069} \u{7F}"

    @Test func replayReportAndPrintMissedShowControlsVisibly() throws {
        let dir = TempDirectory()
        let log = dir.write("auth.log", """
            Nov 23 10:00:00 web1 sshd[100]: Invalid user \(Self.hostile) from 203.0.113.7 port 4242
            Nov 23 10:00:01 web1 app[7]: nothing matches \(Self.hostile)

            """)
        let r = try CLI.run(["replay", "--print-missed", log])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("missed records"), "\(r.stdout)")
        #expect(r.stdout.contains("nothing matches"), "\(r.stdout)")
        #expect(Self.rawControls(r.stdout).isEmpty, "\(Self.rawControls(r.stdout))")
        #expect(r.stdout.contains(#"\u{1B}]0;pwned\u{7}"#), "controls are shown, not dropped: \(r.stdout)")
        #expect(Self.rawControls(r.stderr).isEmpty)
    }

    @Test(.enabled(if: haveSQLite))
    func historyAndStateHoldNoControlsAndNoSecrets() throws {
        let dir = TempDirectory()
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            packs: []
            rules:
              - id: job_failed
                severity: error
                regex: 'worker crashed (?<reason>.*)'
                title: "worker crashed {{reason}}"
                body: "{{reason}}"
                fields: {Reason: "{{reason}}"}
            notifiers:
              - {name: con, type: console}

            """)
        let log = dir.write("app.log", """
            2026-11-23T10:00:00Z worker crashed \(Self.hostile) DB_PASSWORD=hunter2 redis://:pw0rd@cache Cookie: sid=c00kie

            """)
        let sent = try CLI.run(["replay", "--send", "--config", cfg, log])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(Self.rawControls(sent.stdout).isEmpty, "\(Self.rawControls(sent.stdout))")
        let history = try CLI.run(["history", "--config", cfg])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("worker crashed"), "\(history.stdout)")
        #expect(Self.rawControls(history.stdout).isEmpty, "\(Self.rawControls(history.stdout))")
        let db = "\(dir.path)/state/crier.db"
        let dump = sqlite(db, ".dump")
        #expect(!dump.isEmpty)
        for secret in ["hunter2", "pw0rd", "c00kie"] {
            for (what, text) in [("stdout", sent.stdout), ("history", history.stdout), ("crier.db", dump)] {
                #expect(!text.contains(secret), "\(secret) in \(what)")
            }
        }
    }
}
