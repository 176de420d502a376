import CrierCore
import Testing

@testable import CrierNotifiers

/// What every kind makes of every class of answer it can get: one row per status (or SMTP
/// result), so a change to any decision shows up as a changed row.
@Suite struct OutcomeTableTests {
    typealias Row = (status: Int, body: String, headers: [String: String], expected: DeliveryOutcome)

    /// The one place that calls `classify`, should its signature change.
    func outcome(_ n: any Notifier, _ row: Row, editing: Bool = false) -> DeliveryOutcome {
        let headers = Dictionary(uniqueKeysWithValues: row.headers.map { ($0.key.lowercased(), $0.value) })
        return n.classify(.http(.success(HTTPResponse(status: row.status, headers: headers, body: Array(row.body.utf8)))),
                          editing: editing).outcome
    }

    func failure(_ n: any Notifier, _ f: TransportFailure) -> DeliveryOutcome { n.classify(.http(.failure(f)), editing: false).outcome }

    /// Rows every HTTP kind answers alike: the generic reading of WEBHOOK_APIS.md §3.
    static let common: [Row] = [
        (101, "", [:], .permanent(.unexpectedStatus, disablesNotifier: false)),
        (201, "", [:], .delivered(messageID: nil)),
        (202, "", [:], .delivered(messageID: nil)),
        (204, "", [:], .delivered(messageID: nil)),
        (301, "", ["Location": "https://elsewhere/"], .permanent(.unexpectedStatus, disablesNotifier: false)),
        (304, "", [:], .permanent(.unexpectedStatus, disablesNotifier: false)),
        (400, "invalid_payload", [:], .permanent(.badPayload, disablesNotifier: false)),
        (401, "", [:], .permanent(.unauthorized, disablesNotifier: true)),
        (403, "invalid_token", [:], .permanent(.forbidden, disablesNotifier: true)),
        (404, "no_service", [:], .permanent(.unknownWebhook, disablesNotifier: true)),
        (405, "", [:], .permanent(.badPayload, disablesNotifier: false)),
        (408, "", [:], .retry(.timeout, after: nil)),
        (409, "", [:], .permanent(.badPayload, disablesNotifier: false)),
        (410, "channel_is_archived", [:], .permanent(.gone, disablesNotifier: true)),
        (413, "", [:], .permanent(.tooLarge, disablesNotifier: false)),
        (422, "", [:], .permanent(.badPayload, disablesNotifier: false)),
        (500, "rollup_error", [:], .retry(.serverError, after: nil)),
        (502, "<html>bad gateway</html>", [:], .retry(.serverError, after: nil)),
        (503, "", ["Retry-After": "7"], .retry(.serverError, after: .seconds(7))),
        (504, "", [:], .retry(.serverError, after: nil)),
        (599, "", [:], .retry(.serverError, after: nil)),
    ]

    /// How each kind reads a 429 and a 200 (the rows where kinds differ).
    static let own: [NotifierKind: [Row]] = [
        .discord: [
            (200, #"{"id": "1234", "content": ""}"#, [:], .delivered(messageID: "1234")),
            (429, #"{"retry_after": 1.5, "global": false}"#, ["Via": "1.1 google"], .rateLimited(after: .milliseconds(1500), global: false)),
            (429, #"{"retry_after": 0.01, "global": true}"#, ["Via": "1.1 google"], .rateLimited(after: .milliseconds(100), global: true)),
            (429, "error code: 1015", ["Retry-After": "30"], .rateLimited(after: .seconds(600), global: true)),
        ],
        .slack: [
            (200, "ok", [:], .delivered(messageID: nil)),
            (429, #"{"ok":false,"error":"rate_limited"}"#, ["Retry-After": "3"], .rateLimited(after: .seconds(3), global: false)),
            (429, "", [:], .rateLimited(after: .seconds(1), global: false)),
        ],
        .webhook: [
            (200, "{}", [:], .delivered(messageID: nil)),
            (429, "", ["Retry-After": "4"], .rateLimited(after: .seconds(4), global: false)),
            (429, "", [:], .rateLimited(after: .seconds(5), global: false)),
        ],
        .alertmanager: [
            (200, "", [:], .delivered(messageID: nil)),
            (429, "", ["Retry-After": "2"], .rateLimited(after: .seconds(2), global: false)),
            (429, "", [:], .rateLimited(after: .seconds(5), global: false)),
        ],
    ]

    @Test(arguments: [NotifierKind.discord, .slack, .webhook, .alertmanager])
    func everyHTTPStatusClass(kind: NotifierKind) {
        let n = Notifiers.make(NotifierConfig.sample(kind, url: "https://example.com/hook/SECRET"))
        for row in OutcomeTableTests.common + (OutcomeTableTests.own[kind] ?? []) {
            #expect(outcome(n, row) == row.expected, "\(kind) HTTP \(row.status) \(row.body)")
        }
        for (f, reason) in [(TransportFailure.timeout("t"), FailureReason.timeout), (.connect("refused"), .connect),
                            (.tls("bad certificate"), .tls), (.resolve("no such host"), .resolve), (.network("reset"), .network)] {
            #expect(failure(n, f) == .retry(reason, after: nil), "\(kind) \(f)")
        }
    }

    @Test func discordEditingADeletedMessagePostsAnew() {
        let n = Notifiers.make(NotifierConfig.sample(.discord, url: "https://discord.com/api/webhooks/1/t"))
        #expect(outcome(n, (404, #"{"code": 10008}"#, [:], .delivered(messageID: nil)), editing: true)
                == .permanent(.unknownWebhook, disablesNotifier: false))
        #expect(outcome(n, (200, #"{"id": "9"}"#, [:], .delivered(messageID: nil)), editing: true) == .delivered(messageID: "9"))
    }

    /// The console's transport prints; printing is its only answer, and it is a delivery.
    @Test func theConsoleDeliversWhatItPrinted() {
        let n = Notifiers.make(NotifierConfig.sample(.console, url: ""))
        #expect(n.classify(.printed, editing: false).outcome == .delivered(messageID: nil))
        #expect(n.classify(.printed, editing: false).detail == "printed")
    }

    /// SMTP: what libcurl reports for each stage of the exchange.
    @Test func everySMTPOutcome() {
        let n = EmailNotifier(config: EmailConfig(name: "m", smtpURL: Secret("smtp://mail.example.com:587"), from: "a@example.com",
                                                  to: ["b@example.com"]))
        let rows: [(Result<Void, TransportFailure>, DeliveryOutcome)] = [
            (.success(()), .delivered(messageID: nil)),
            (.failure(.network("Login denied")), .permanent(.unauthorized, disablesNotifier: true)),
            (.failure(.network("535 5.7.8 Authentication credentials invalid")), .permanent(.unauthorized, disablesNotifier: true)),
            (.failure(.network("RCPT failed: 550 no such user")), .permanent(.mailRejected, disablesNotifier: false)),
            (.failure(.network("550 recipient rejected")), .permanent(.mailRejected, disablesNotifier: false)),
            (.failure(.network("MAIL FROM failed: 553")), .permanent(.mailRejected, disablesNotifier: false)),
            (.failure(.network("Failed sending data to the peer")), .retry(.network, after: nil)),
            (.failure(.timeout("Operation timed out")), .retry(.timeout, after: nil)),
            (.failure(.connect("Connection refused")), .retry(.connect, after: nil)),
            (.failure(.tls("STARTTLS not offered")), .retry(.tls, after: nil)),
            (.failure(.resolve("Could not resolve host")), .retry(.resolve, after: nil)),
        ]
        for (result, expected) in rows {
            #expect(n.classifyMail(result).outcome == expected, "\(result)")
        }
    }
}
