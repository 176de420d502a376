import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierNotifiers

func config(_ kind: NotifierConfig.Kind, url: String = "https://discord.com/api/webhooks/123/SECRET-TOKEN") -> NotifierConfig {
    NotifierConfig.sample(kind, url: url)
}

@Suite struct ClassifyTableTests {
    /// Every status a webhook can answer, and what each notifier makes of it.
    @Test(arguments: [NotifierConfig.Kind.discord, .slack, .webhook])
    func everyStatusHasADecision(kind: NotifierConfig.Kind) {
        let n = Notifiers.make(config(kind))
        let viaDiscord = ["Via": "1.1 google", "Content-Type": "application/json"]
        func outcome(_ status: Int, _ body: String = "", _ headers: [String: String] = [:]) -> DeliveryOutcome {
            let lowered = Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) })
            return n.classify(.http(.success(HTTPResponse(status: status, headers: lowered, body: Array(body.utf8)))), editing: false).outcome
        }
        #expect(outcome(200, kind == .discord ? #"{"id":"42"}"# : "ok") == .delivered(messageID: kind == .discord ? "42" : nil))
        #expect(outcome(204) == .delivered(messageID: nil))
        #expect(outcome(400, #"{"code": 50035, "message": "Invalid Form Body"}"#) == .permanent(.badPayload, disablesNotifier: false))
        #expect(outcome(401) == .permanent(.unauthorized, disablesNotifier: true))
        #expect(outcome(403, "invalid_token") == .permanent(.forbidden, disablesNotifier: true))
        #expect(outcome(404, #"{"message": "Unknown Webhook", "code": 10015}"#) == .permanent(.unknownWebhook, disablesNotifier: true))
        #expect(outcome(405) == .permanent(.badPayload, disablesNotifier: false))
        #expect(outcome(410, "channel_is_archived") == .permanent(.gone, disablesNotifier: true))
        #expect(outcome(413) == .permanent(.tooLarge, disablesNotifier: false))
        for status in [500, 502, 503, 504] {
            #expect(outcome(status, "<html>bad gateway</html>") == .retry(.serverError, after: nil))
        }
        #expect(outcome(503, "", ["Retry-After": "7"]) == .retry(.serverError, after: .seconds(7)))
        for failure in [TransportFailure.timeout("t"), .connect("c"), .tls("s"), .resolve("r"), .network("n")] {
            guard case .retry(let reason, nil) = n.classify(.http(.failure(failure)), editing: false).outcome else {
                Issue.record("\(failure) is retried")
                continue
            }
            #expect(reason.rawValue == failure.reason)
        }
        switch kind {
        case .discord:
            #expect(outcome(429, #"{"message": "You are being rate limited.", "retry_after": 1.234, "global": false}"#,
                            viaDiscord.merging(["Retry-After": "2"]) { a, _ in a }) == .rateLimited(after: .seconds(2), global: false))
            #expect(outcome(429, #"{"retry_after": 0.25, "global": true}"#, viaDiscord) == .rateLimited(after: .milliseconds(250), global: true))
            // A 429 that is not Discord's API: a Cloudflare ban, stop everything for long.
            #expect(outcome(429, "<html>Error 1015</html>") == .rateLimited(after: .seconds(600), global: true))
        case .slack:
            #expect(outcome(429, #"{"retry_after":1,"ok":false,"error":"rate_limited"}"#, ["Retry-After": "3"])
                    == .rateLimited(after: .seconds(3), global: false))
        default:
            #expect(outcome(429, "", ["Retry-After": "4"]) == .rateLimited(after: .seconds(4), global: false))
            #expect(outcome(429) == .rateLimited(after: .seconds(5), global: false))
        }
    }

    @Test func discordLearnsItsLimitsFromHeaders() {
        let n = DiscordNotifier(config: DiscordConfig(name: "discord", webhookURL: Secret("https://discord.com/api/webhooks/123/SECRET-TOKEN")))
        let r = HTTPResponse(status: 200, headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "1.75",
                                                    "x-ratelimit-bucket": "abcd", "x-ratelimit-limit": "5"],
                             body: Array(#"{"id": "1234"}"#.utf8))
        let c = n.classify(.http(.success(r)), editing: false)
        #expect(c.learned == LearnedLimit(remaining: 0, resetAfter: .milliseconds(1750), bucket: "abcd", limit: 5))
        // Editing a deleted message: post anew, do not disable the webhook.
        #expect(n.classify(.http(.success(HTTPResponse(status: 404, body: Array(#"{"code": 10008}"#.utf8)))), editing: true).outcome
                == .permanent(.unknownWebhook, disablesNotifier: false))
    }

    @Test func discordPostsWithWaitAndEditsWithPatch() {
        let n = DiscordNotifier(config: DiscordConfig(name: "discord", webhookURL: Secret("https://discord.com/api/webhooks/1/tok?thread_id=99")))
        guard case .http(let post) = n.request(payload: "{}", editing: nil, now: Timestamp(seconds: 0)),
              case .http(let patch) = n.request(payload: "{}", editing: "555", now: Timestamp(seconds: 0)) else {
            Issue.record("HTTP requests")
            return
        }
        #expect(post.method == .post && post.url.exposedValue == "https://discord.com/api/webhooks/1/tok?thread_id=99&wait=true")
        #expect(patch.method == .patch && patch.url.exposedValue == "https://discord.com/api/webhooks/1/tok/messages/555?thread_id=99")
    }

    @Test func webhookSignatureCoversTimestampAndBody() throws {
        var c = WebhookConfig(name: "webhook", webhookURL: Secret("https://hooks.example.com/in"))
        c.signingSecret = Secret("s3cr3t")
        c.headers = [("Authorization", "Bearer abc")]
        let n = WebhookNotifier(config: c)
        let payload = #"{"event":"alert.firing","rule":"x"}"#
        guard case .http(let r) = n.request(payload: payload, editing: nil, now: Timestamp(seconds: 1_795_428_000)) else {
            Issue.record("HTTP")
            return
        }
        let headers = Dictionary(uniqueKeysWithValues: r.headers)
        #expect(headers["X-Crier-Timestamp"] == "1795428000")
        #expect(headers["X-Crier-Event"] == "alert.firing")
        #expect(headers["Authorization"] == "Bearer abc")
        // Independent check with openssl.
        let expected = try opensslHMAC(key: "s3cr3t", message: "1795428000." + payload)
        #expect(headers["X-Crier-Signature"] == "v1=" + expected)
    }

    func opensslHMAC(key: String, message: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["dgst", "-sha256", "-hmac", key, "-hex"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(message.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }

    @Test func emailIsAMultipartMessageWithAnEncodedSubject() {
        let c = EmailConfig(name: "mail", smtpURL: Secret("smtp://mail.example.com:587"), from: "crier@example.com",
                            to: ["ops@example.com", "oncall@example.com"])
        let n = EmailNotifier(config: c)
        let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)
        let batch = AlertBatch(fingerprint: Fingerprint(value: 1), rule: "celery.task_failed", severity: .error, labels: [],
                               reason: .first, alerts: [Alert(rule: "celery.task_failed", severity: .error, title: "Tâche échouée",
                                                              body: "line\n.leading dot\n" + String(repeating: "long ", count: 400), fingerprint: Fingerprint(value: 1), timestamp: t0)],
                               count: 1, firstSeen: t0, lastSeen: t0, decidedAt: t0, episodeCount: 1, episodeStart: t0)
        guard case .mail(let mail) = n.request(payload: n.render(batch).body.encoded, editing: nil, now: t0) else {
            Issue.record("mail")
            return
        }
        let text = String(decoding: mail.message, as: UTF8.self)
        #expect(mail.recipients == ["ops@example.com", "oncall@example.com"] && mail.startTLS)
        #expect(text.contains("Subject: =?UTF-8?B?"))
        let long = EmailNotifier.encodedHeader(String(repeating: "é", count: 100))
        #expect(long.components(separatedBy: "\r\n ").allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") })
        #expect(long.components(separatedBy: "\r\n ").count == 5, "200 bytes in words of at most 45")
        #expect(text.contains("Content-Type: multipart/alternative;"))
        #expect(text.contains("Content-Type: text/html; charset=utf-8"))
        #expect(text.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 998 }, "SMTP line limit")
        #expect(text.contains("Message-ID: <crier.") && text.contains("@example.com>"))
        let parts = MailParts(text)
        #expect(parts.plain.contains("line\n  .leading dot\n  long long"), "\(parts.plain)")
        #expect(parts.html.contains("<h2>"))
        #expect(text.contains("Date: Mon, 23 Nov 2026 10:00:00 +0000"))
        #expect(n.classify(.mail(.failure(.network("Login denied"))), editing: false).outcome == .permanent(.unauthorized, disablesNotifier: true))
        #expect(n.classify(.mail(.failure(.timeout("t"))), editing: false).outcome == .retry(.timeout, after: nil))
    }
}

/// The decoded text and HTML parts of a message EmailNotifier built.
struct MailParts {
    var plain = ""
    var html = ""

    init(_ message: String) {
        for part in message.components(separatedBy: "\r\n--crier-").dropFirst() {
            guard let split = part.range(of: "\r\n\r\n") else { continue }
            let encoded = part[split.upperBound...].replacingOccurrences(of: "\r\n", with: "")
            let decoded = String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self)
            if part.contains("Content-Type: text/plain") { plain = decoded } else if part.contains("Content-Type: text/html") { html = decoded }
        }
    }
}
