import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierNotifiers

@Suite struct CurlTransportTests {
    @Test func postsAndReadsStatusHeadersAndBody() throws {
        let server = try FakeWebhookServer { _ in
            .respond(status: 429, headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "1.5"),
                                            ("Content-Type", "application/json")],
                     body: #"{"message": "You are being rate limited.", "retry_after": 1.234, "global": false}"#)
        }
        let transport = CurlTransport()
        var request = HTTPRequest(url: Secret(server.url + "/api/webhooks/1/token?wait=true"),
                                  headers: [("Content-Type", "application/json")], body: Array(#"{"content":"hi"}"#.utf8))
        request.timeout = .seconds(5)
        guard case .success(let response) = transport.send(request) else { Issue.record("no response"); return }
        #expect(response.status == 429)
        #expect(response.headers["x-ratelimit-reset-after"] == "1.5")
        #expect(response.bodyText.contains("retry_after"))
        let seen = server.requests[0]
        #expect(seen.method == "POST" && seen.path == "/api/webhooks/1/token" && seen.query == "wait=true")
        #expect(seen.headers["content-type"] == "application/json" && seen.bodyText == #"{"content":"hi"}"#)
        #expect(seen.headers["expect"] == nil)

        // The same handle again (keep-alive), as PATCH.
        request.method = .patch
        _ = transport.send(request)
        #expect(server.requests.last?.method == "PATCH")
    }

    @Test func hangsResetsAndRefusalsAreNamedFailures() throws {
        let server = try FakeWebhookServer { request in request.path == "/hang" ? .hang : .reset }
        defer { server.releaseHangs() }
        let transport = CurlTransport()
        var hang = HTTPRequest(url: Secret(server.url + "/hang"))
        hang.timeout = .milliseconds(300)
        guard case .failure(.timeout) = transport.send(hang) else { Issue.record("a hang is a timeout"); return }
        guard case .failure(let reset) = transport.send(HTTPRequest(url: Secret(server.url + "/reset"))) else {
            Issue.record("a reset is a failure")
            return
        }
        #expect(reset.reason == "network")
        server.stop()
        guard case .failure(.connect) = transport.send(HTTPRequest(url: Secret("http://127.0.0.1:\(server.port)/x"))) else {
            Issue.record("a closed port is a connect failure")
            return
        }
    }

    @Test(.enabled(if: TLSFront.available)) func tlsIsVerifiedAndACABundleCanBeGiven() throws {
        let server = try FakeWebhookServer { _ in .respond(status: 204) }
        let tls = try TLSFront(forwardingTo: server.port)
        let url = Secret("https://127.0.0.1:\(tls.port)/hook")
        guard case .failure(.tls) = CurlTransport().send(HTTPRequest(url: url)) else {
            Issue.record("a self-signed certificate is refused")
            return
        }
        guard case .success(let response) = CurlTransport(caBundle: tls.certificate).send(HTTPRequest(url: url)) else {
            Issue.record("trusted with its CA bundle")
            return
        }
        #expect(response.status == 204)
    }
}

/// E-mail through libcurl to a real SMTP conversation on loopback.
@Suite struct SMTPTransportTests {
    func notifier(_ server: FakeSMTPServer, password: String, to: [String] = ["ops@example.com"]) -> EmailNotifier {
        var c = EmailConfig(name: "mail", smtpURL: Secret(server.url), from: "crier@example.com", to: to)
        c.username = "crier"
        c.password = Secret(password)
        c.startTLS = false  // the fake server speaks plain SMTP
        return EmailNotifier(config: c)
    }

    func send(_ n: EmailNotifier, title: String = "Task failed") -> Classified {
        let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)
        let alert = Alert(rule: "celery.task_failed", severity: .error, title: title,
                          body: "Traceback (most recent call last):\n" + String(repeating: "x", count: 3_000) + "\n.dot line",
                          fingerprint: Fingerprint(value: 7), timestamp: t0)
        let batch = AlertBatch(fingerprint: Fingerprint(value: 7), rule: alert.rule, severity: .error, labels: [], reason: .first,
                               alerts: [alert], count: 1, firstSeen: t0, lastSeen: t0, decidedAt: t0, episodeCount: 1, episodeStart: t0)
        guard case .mail(let mail) = n.request(payload: n.render(batch).body.encoded, editing: nil, now: t0) else { return Classified(.delivered(messageID: nil)) }
        return n.classify(CurlTransport().send(.mail(mail)), editing: false)
    }

    @Test func aMessageArrivesWholeForEveryRecipient() throws {
        let server = try FakeSMTPServer(credentials: ("crier", "hunter2-pw"))
        let n = notifier(server, password: "hunter2-pw", to: ["ops@example.com", "oncall@example.com"])
        #expect(send(n, title: "Tâche échouée").outcome == .delivered(messageID: nil))
        #expect(server.waitForMessages(1))
        let m = try #require(server.messages.first)
        #expect(m.authenticatedAs == "crier" && m.from == "crier@example.com")
        #expect(m.recipients == ["ops@example.com", "oncall@example.com"])
        #expect(m.data.contains("Subject: =?UTF-8?B?"))
        let parts = MailParts(m.data)
        #expect(parts.plain.contains(String(repeating: "x", count: 3_000)), "a 3,000-character line arrives unbroken")
        #expect(parts.plain.contains("\n  .dot line"))
    }

    @Test func aWrongPasswordDisablesARefusedRecipientIsTheMessagesFaultADownServerIsRetried() throws {
        let server = try FakeSMTPServer(credentials: ("crier", "right"), refusing: ["gone@example.com"])
        let denied = send(notifier(server, password: "wrong"))
        #expect(denied.outcome == .permanent(.unauthorized, disablesNotifier: true), "\(denied.detail)")
        #expect(server.loginFailures >= 1)
        #expect(denied.detail.contains("Login denied"))
        let refused = send(notifier(server, password: "right", to: ["gone@example.com"]))
        #expect(refused.outcome == .permanent(.mailRejected, disablesNotifier: false), "\(refused.detail)")
        #expect(refused.detail.contains("RCPT failed: 550"))
        #expect(server.messages.isEmpty)
        let down = try FakeSMTPServer()
        let unreachable = notifier(down, password: "right")
        down.stop()
        guard case .retry = send(unreachable).outcome else {
            Issue.record("a server that is down is tried again later")
            return
        }
    }
}
