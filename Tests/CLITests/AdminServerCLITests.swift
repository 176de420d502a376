import CrierCore
import CrierNotifiers
import CrierTestSupport
import Foundation
import Testing

/// The admin server of the real binary: metrics, health, readiness and status over HTTP on
/// loopback while crier follows a file.
@Suite struct AdminServerCLITests {
    func config(_ dir: TempDirectory, listen: String) -> String {
        dir.write("crier.yaml", """
            state_dir: \(dir.path)/state
            sources:
              - {type: file, paths: ["\(dir.path)/app.log"], read_from_head: true}
            packs: [sshd]
            defaults: {group_wait: 0s}
            notifiers: [{name: con, type: console}]
            server: {listen: "\(listen)"}

            """)
    }

    func writeFailures(_ dir: TempDirectory) {
        dir.write("app.log", (1...3).map { "\(isoNow()) web-1 sshd[\($0)]: Failed password for root from 203.0.113.9 port \($0) ssh2\n" }
            .joined())
    }

    func get(_ url: String) -> HTTPResponse? {
        try? CurlTransport().send(HTTPRequest(method: .get, url: Secret(url))).get()
    }

    @Test func metricsHealthReadinessAndStatusAreServed() throws {
        let dir = TempDirectory()
        writeFailures(dir)
        let crier = try LiveProcess(["run", "--config", config(dir, listen: "127.0.0.1:0")])
        #expect(crier.waitFor { _, err in err.contains("admin server listening on") && err.contains("crier running") }, "\(crier.stderr)")
        let port = try #require(crier.stderr.firstMatch(of: /admin server listening on http:\/\/127\.0\.0\.1:(\d+)/)?.1)
        let base = "http://127.0.0.1:\(port)"
        // The console line comes after the commit that carried the pipeline's counters.
        #expect(crier.waitForStdout("203.0.113.9"), "\(crier.stdout)\n\(crier.stderr)")

        #expect(get("\(base)/healthz")?.status == 200)
        let ready = get("\(base)/readyz")
        #expect(ready?.status == 200 && ready?.bodyText == "ready\n")
        let metrics = try #require(get("\(base)/metrics"))
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.bodyText.contains("\ncrier_records_total 3\n"), "\(metrics.bodyText)")
        #expect(metrics.bodyText.contains(#"crier_rule_matches_total{rule="sshd.failed_password"} 3"#), "\(metrics.bodyText)")
        #expect(metrics.bodyText.contains(#"crier_messages_total{notifier="con",reason="first"} 1"#), "\(metrics.bodyText)")
        #expect(metrics.bodyText.contains(#"crier_notifier_disabled{notifier="con"} 0"#))

        let status = try #require(get("\(base)/api/v1/status"))
        #expect(status.headers["content-type"] == "application/json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.body)) as? [String: Any])
        let notifiers = try #require(json["notifiers"] as? [[String: Any]])
        #expect(notifiers.map { $0["name"] as? String } == ["con"])
        #expect(notifiers.first?["breaker"] as? String == "closed")
        let history = try #require(get("\(base)/api/v1/history?notifier=con&limit=5"))
        #expect((try JSONSerialization.jsonObject(with: Data(history.body)) as? [String: Any])?["deliveries"] is [Any])
        #expect(get("\(base)/nothing-here")?.status == 404)

        #expect(crier.terminate() == 0, "\(crier.stderr)")
    }

    /// Losing the metrics endpoint must not silence alerts: a port in use is one error naming
    /// `server.listen`, and the alerts still go out.
    @Test func aPortInUseIsReportedAndAlertingGoesOn() throws {
        let busy = try FakeWebhookServer { _ in .respond(status: 204) }
        let dir = TempDirectory()
        writeFailures(dir)
        let crier = try LiveProcess(["run", "--config", config(dir, listen: "127.0.0.1:\(busy.port)")])
        #expect(crier.waitFor { _, err in err.contains("admin server not started: cannot listen on 127.0.0.1:\(busy.port) (server.listen)") },
                "\(crier.stderr)")
        #expect(crier.waitForStdout("203.0.113.9"), "\(crier.stdout)\n\(crier.stderr)")
        #expect(crier.terminate() == 0, "\(crier.stderr)")
        #expect(busy.requests.isEmpty)
    }

    @Test func aListenAddressThatIsNotHostPortIsAConfigError() throws {
        let dir = TempDirectory()
        let r = try CLI.run(["check", "--config", config(dir, listen: "localhost")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("server.listen: expected host:port"), "\(r.stdout)\(r.stderr)")
    }
}
