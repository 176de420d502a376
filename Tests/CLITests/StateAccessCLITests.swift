import CrierTestSupport
import Foundation
import Testing

/// A state database crier may not open (another user's file) is a permission problem, not
/// damage: the advice names the file, its owner and the user crier runs as, and never
/// suggests --reset-state (which would throw the other user's state away).
@Suite struct StateAccessCLITests {
    static let canSwitchUser = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser")

    @Test func statusHistoryAndStatsReadTheStateDirectoryGivenOnTheCommandLine() throws {
        let server = try FakeWebhookServer { _ in .respond(status: 200, body: #"{"id": "1"}"#) }
        let dir = TempDirectory()
        let cfg = dir.write("crier.yaml", """
            state_dir: \(dir.path)/configured
            notifiers: [{name: ops, type: discord, webhook_url: "\(server.url)/api/webhooks/1/t"}]

            """)
        // send-test writes to the configured directory; move it where only --state-dir finds it.
        #expect(try CLI.run(["send-test", "--config", cfg]).status == 0)
        try FileManager.default.moveItem(atPath: "\(dir.path)/configured", toPath: "\(dir.path)/moved")
        let status = try CLI.run(["status", "--config", cfg, "--state-dir", "\(dir.path)/moved"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("state \(dir.path)/moved/crier.db"), "\(status.stdout)")
        let history = try CLI.run(["history", "--config", cfg, "--state-dir", "\(dir.path)/moved"])
        #expect(history.status == 0 && history.stdout.contains("ops  delivered"), "\(history.stdout)\(history.stderr)")
        let stats = try CLI.run(["stats", "--config", cfg, "--state-dir", "\(dir.path)/moved"])
        #expect(stats.status == 0 && stats.stdout.contains("ops: success 100.0%"), "\(stats.stdout)\(stats.stderr)")
        let configured = try CLI.run(["status", "--config", cfg])
        #expect(configured.status == 1 && configured.stderr.contains("no state database in \(dir.path)/configured"))
    }

    @Test(.enabled(if: canSwitchUser))
    func anotherUsersStateFileIsAPermissionProblemNotDamage() throws {
        let dir = TempDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let state = "\(dir.path)/state"
        let cfg = dir.write("crier.yaml", """
            state_dir: \(state)
            notifiers: [{name: ops, type: console}]

            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: cfg)
        // root's crier creates the database; it stays readable by root only.
        #expect(try CLI.run(["send-test", "--config", cfg]).status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: state)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(state)/crier.db")
        for command in [["status"], ["history"], ["stats"], ["run"]] {
            let r = try CLI.run(["-u", "nobody", "--", CLI.binary] + command + ["--config", cfg], executable: "/usr/sbin/runuser")
            #expect(r.status == 1, "\(command)")
            #expect(r.stderr.contains("permission"), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("\(state)/crier.db"), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("owned by root") && r.stderr.contains("runs as nobody"), "\(command): \(r.stderr)")
            #expect(!r.stderr.contains("damaged") && !r.stderr.contains("--reset-state"), "\(command): \(r.stderr)")
        }
    }
}
