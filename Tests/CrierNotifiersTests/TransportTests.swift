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
