import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierNotifiers

/// The two kinds whose payload is not chat JSON, compared whole with reviewed goldens like
/// the others (GoldenPayloadTests): the e-mail as the MIME message handed to SMTP, and
/// Alertmanager's request body.
@Suite struct MailAndAlertmanagerGoldenTests {
    static let goldenDir = "\(Repository.root())/Tests/CrierNotifiersTests/Goldens"

    /// A fixed time and Message-ID token: the only parts of a message that vary by run.
    static let sentAt = Fixtures.t0 + .seconds(15)

    static func mailer() -> EmailNotifier {
        var c = EmailConfig(name: "mail", smtpURL: Secret("smtps://SECRET-TOKEN-VALUE@mail.example.com:465"),
                            from: "crier@example.com", to: ["ops@example.com", "oncall@example.com"])
        c.password = Secret("SECRET-TOKEN-VALUE")
        return EmailNotifier(config: c, uniqueToken: { 0xC0FFEE })
    }

    static func message(_ batch: AlertBatch) -> (String, MailRequest)? {
        let n = mailer()
        guard case .mail(let mail) = n.request(payload: n.render(batch).body.encoded, editing: nil, now: sentAt) else {
            return nil
        }
        // CRLF is SMTP's line end; the golden file keeps plain newlines to stay readable.
        return (String(decoding: mail.message, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n"), mail)
    }

    /// Same four batches as the chat goldens, plus a subject in encoded words.
    static var cases: [(String, AlertBatch)] {
        Fixtures.cases + [("non-ascii-subject", Fixtures.batch([Fixtures.alert(title: "Tâche échouée sur le nœud « render-01 »")]))]
    }

    @Test func emailMessagesMatchGoldens() throws {
        for (name, batch) in MailAndAlertmanagerGoldenTests.cases {
            let (text, mail) = try #require(MailAndAlertmanagerGoldenTests.message(batch))
            #expect(!text.contains("SECRET-TOKEN-VALUE"))
            #expect(mail.recipients == ["ops@example.com", "oncall@example.com"] && mail.from == "crier@example.com")
            #expect(text.contains("Message-ID: <crier.\(MailAndAlertmanagerGoldenTests.sentAt.microseconds).12648430@example.com>"))
            // Every line fits SMTP's limit; the parts decode to the rendered text and HTML.
            #expect(mail.message.split(separator: 0x0A).allSatisfy { $0.count <= 998 })
            let parts = MailParts(text.replacingOccurrences(of: "\n", with: "\r\n"))
            #expect(parts.plain == ConsoleRenderer.text(batch), "\(name)")
            #expect(parts.html.hasPrefix("<html><body><h2>"), "\(name)")
            if let problem = Golden.check(text, against: "\(MailAndAlertmanagerGoldenTests.goldenDir)/email-\(name).eml") {
                Issue.record("\(problem)")
            }
        }
    }

    @Test func aNonASCIISubjectIsInEncodedWords() throws {
        let batch = Fixtures.batch([Fixtures.alert(title: "Tâche échouée sur le nœud « render-01 »")])
        let (text, _) = try #require(MailAndAlertmanagerGoldenTests.message(batch))
        let header = text.components(separatedBy: "\nDate:")[0].components(separatedBy: "Subject: ")[1]
        let words = header.components(separatedBy: "\n ")
        #expect(words.count > 1 && words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        let decoded = words.map { word -> String in
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(base64)) ?? Data(), as: UTF8.self)
        }.joined()
        #expect(decoded == "[ERROR] Tâche échouée sur le nœud « render-01 »")
    }

    @Test func alertmanagerBodiesMatchGoldens() {
        let n = AlertmanagerNotifier(config: AlertmanagerConfig(name: "am", url: Secret("http://am:SECRET-TOKEN-VALUE@alertmanager:9093/")))
        let resolved = Fixtures.batch([Fixtures.alert()], reason: .resolved, lastSeen: Fixtures.t0 + .seconds(600))
        for (name, batch) in Fixtures.cases + [("resolved", resolved)] {
            let payload = n.render(batch)
            let text = payload.body.encoded + "\n"
            #expect(parseJSON(payload.body.encoded) is [Any], "Alertmanager takes a list of alerts")
            #expect(!text.contains("SECRET-TOKEN-VALUE"))
            if let problem = Golden.check(text, against: "\(MailAndAlertmanagerGoldenTests.goldenDir)/alertmanager-\(name).json") {
                Issue.record("\(problem)")
            }
        }
        guard case .http(let request) = n.request(payload: "[]", editing: nil, now: Fixtures.t0) else {
            Issue.record("an HTTP request")
            return
        }
        #expect(request.url.exposedValue == "http://am:SECRET-TOKEN-VALUE@alertmanager:9093/api/v2/alerts")
        #expect(request.method == .post)
    }
}
