import Foundation

/// One notifier of every kind, each carrying credentials in every place a config can hold
/// them (URL path, userinfo, header, signing secret, SMTP password file), aimed at servers
/// that quote the request back in their error. Tests then assert that no credential reaches
/// output, state, status, history or metrics.
public struct CredentialFixture {
    public static let secrets = ["DiScOrDtOkEn0123456789", "SlAcKtOkEn0123456789", "HoOkPaThToKeN0123456789",
                                 "BeArErToKeN0123456789", "SiGnInGsEcReT0123456789", "AmPaSsWoRd0123456789", "MaIlPaSsWoRd0123"]
    public let server: FakeWebhookServer
    /// Refuses crier's login: the password it is given is never the right one.
    public let smtp: FakeSMTPServer

    /// The webhook server answers 500 quoting method, path, query and Authorization, except
    /// `extra` requests, which `extra` answers.
    public init(extra: @escaping @Sendable (FakeWebhookServer.Request) -> FakeWebhookServer.Reply? = { _ in nil }) throws {
        server = try FakeWebhookServer { r in
            extra(r) ?? .respond(status: 500, body: "upstream failed for \(r.method) \(r.path)?\(r.query) auth=\(r.headers["authorization"] ?? "")")
        }
        smtp = try FakeSMTPServer(credentials: ("crier", "other"))
    }

    /// The `notifiers:` list (discord `d`, slack `s`, webhook `w`, alertmanager `am`, email
    /// `m`); the mail password goes to `mail.pw` in `dir`.
    public func notifiersYAML(_ dir: TempDirectory) -> String {
        let s = Self.secrets
        dir.write("mail.pw", s[6] + "\n")
        return """
            notifiers:
              - {name: d, type: discord, webhook_url: "\(server.url)/api/webhooks/1/\(s[0])"}
              - {name: s, type: slack, webhook_url: "\(server.url)/services/T1/B1/\(s[1])"}
              - name: w
                type: webhook
                webhook_url: "\(server.url)/hooks/\(s[2])?x=1"
                headers: {Authorization: "Bearer \(s[3])"}
                secret: \(s[4])
              - {name: am, type: alertmanager, url: "http://crier:\(s[5])@127.0.0.1:\(server.port)"}
              - {name: m, type: email, smtp_url: "\(smtp.url)", username: crier, password_file: \(dir.path)/mail.pw,
                 starttls: false, from: crier@example.com, to: [ops@example.com]}
            """
    }
}
