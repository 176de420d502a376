import CrierCore
import Testing

@testable import CrierNotifiers

extension NotifierConfig {
    /// A notifier of `kind` with every default and `url` as its endpoint (its SMTP server for
    /// e-mail).
    static func sample(_ kind: Kind, url: String) -> NotifierConfig {
        let name = kind.rawValue
        switch kind {
        case .discord: return .discord(DiscordConfig(name: name, webhookURL: Secret(url)))
        case .slack: return .slack(SlackConfig(name: name, webhookURL: Secret(url)))
        case .webhook: return .webhook(WebhookConfig(name: name, webhookURL: Secret(url)))
        case .email: return .email(EmailConfig(name: name, smtpURL: Secret(url), from: "crier@example.com", to: ["ops@example.com"]))
        case .alertmanager: return .alertmanager(AlertmanagerConfig(name: name, url: Secret(url)))
        case .console: return .console(ConsoleConfig(name: name))
        }
    }
}

/// The config file read whole, as the loader does: Core's part, then each notifier's kind.
func readConfig(_ text: String, env: [String: String] = [:], files: [String: String] = [:])
    -> (CrierConfig, [NotifierConfig], ConfigDiagnostics)
{
    let diagnostics = ConfigDiagnostics(file: "crier.yaml")
    guard let root = YAMLDocument.parse(text, diagnostics: diagnostics, expandsEnvironment: true, environment: env,
                                        readFile: { files[$0] }) else {
        return (CrierConfig(), [], diagnostics)
    }
    let (config, notifiers) = CrierConfig.read(root, notifiers: NotifierCatalog.read)
    return (config, notifiers, diagnostics)
}

@Suite struct NotifierConfigTests {
    @Test func everyErrorIsListedWithKeyAndLine() {
        let text = """
            stat_dir: /tmp
            defaults:
              group_wait: 10
              repeat_interval: 4 hours
            notifiers:
              - name: chat
                type: discrod
              - name: slack
                type: slack
            routes:
              - match: {severity: [fatal]}
                notifiers: [pager]
            rules:
              - id: x
                severity: error
            """
        let (_, _, diagnostics) = readConfig(text)
        let messages = diagnostics.errors.map(\.description)
        #expect(diagnostics.errors.count >= 7, "\(messages)")
        #expect(messages.contains { $0.contains("crier.yaml:1: stat_dir: unknown key (did you mean 'state_dir'?)") })
        #expect(messages.contains { $0.contains("defaults.group_wait") && $0.contains("needs a unit") })
        #expect(messages.contains { $0.contains("defaults.repeat_interval") && $0.contains("unknown unit") })
        #expect(messages.contains { $0.contains("notifiers[0].type") && $0.contains("discord") })
        #expect(messages.contains { $0.contains("webhook_url") && $0.contains("required for a slack notifier") })
        #expect(messages.contains { $0.contains("routes[0].match.severity[0]") && $0.contains("fatal") })
        #expect(messages.contains { $0.contains("routes[0].notifiers") && $0.contains("'pager'") })
        #expect(messages.contains { $0.contains("rules[0].regex") && $0.contains("required") })
        #expect(diagnostics.errors.allSatisfy { $0.line != nil })
    }

    @Test func environmentIsExpandedInValuesOnly() {
        let text = """
            # ${NOT_EXPANDED_IN_COMMENTS}
            notifiers:
              - name: d
                type: discord
                webhook_url: ${HOOK}
              - name: s
                type: slack
                webhook_url: ${SLACK:-https://hooks.slack.com/services/default}
              - name: m
                type: discord
                webhook_url: ${MISSING}
            """
        let (_, notifiers, diagnostics) = readConfig(text, env: ["HOOK": "https://discord.com/api/webhooks/1/abc"])
        #expect(notifiers[0].webhookURL?.exposedValue == "https://discord.com/api/webhooks/1/abc")
        #expect(notifiers[1].webhookURL?.exposedValue == "https://hooks.slack.com/services/default")
        #expect(diagnostics.errors.count == 2, "\(diagnostics.errors)")  // MISSING unset, and so no URL
        #expect(diagnostics.errors.contains { $0.path == "notifiers[2].webhook_url" && $0.message.contains("MISSING") })
    }

    @Test func badSecretIsReportedWithoutItsValue() {
        let text = """
            notifiers:
              - name: d
                type: discord
                webhook_url: discord.com/api/webhooks/1/super-secret-token
            """
        let (_, _, diagnostics) = readConfig(text)
        #expect(diagnostics.errors.count == 1)
        #expect(!diagnostics.errors.map(\.description).joined().contains("super-secret-token"))
    }

    /// Each kind's documented example reads without a problem, as the kind it says.
    @Test(arguments: NotifierKind.allCases)
    func theExampleOfEveryKindReadsCleanly(kind: NotifierKind) throws {
        let example = try #require(NotifierCatalog.examples[kind])
        let files = ["/run/credentials/crier.service/discord-errors": "https://discord.com/api/webhooks/1/abc\n",
                     "/run/credentials/crier.service/pager-signing-key": "k3y\n",
                     "/run/credentials/crier.service/smtp-password": "pw\n"]
        let (_, notifiers, diagnostics) = readConfig(example, files: files)
        #expect(diagnostics.issues.isEmpty, "\(diagnostics.issues)")
        #expect(notifiers.map(\.kind) == [kind])
    }

    @Test func examplesSetWhatTheySay() {
        let files = ["/run/credentials/crier.service/discord-errors": "https://discord.com/api/webhooks/1/abc\n",
                     "/run/credentials/crier.service/pager-signing-key": "k3y\n",
                     "/run/credentials/crier.service/smtp-password": "pw\n"]
        let all = NotifierKind.allCases.compactMap { NotifierCatalog.examples[$0] }
            .map { readConfig($0, files: files).1.first }
        guard case .discord(let d)? = all[0], case .slack(let s)? = all[1], case .webhook(let w)? = all[2],
              case .email(let m)? = all[3], case .alertmanager(let a)? = all[4], case .console(let c)? = all[5] else {
            Issue.record("one notifier of each kind, in order: \(all)")
            return
        }
        #expect(d.webhookURL.exposedValue == "https://discord.com/api/webhooks/1/abc", "the file's newline is not part of it")
        #expect(d.username == "crier" && d.avatarURL == "https://example.com/crier.png" && d.update == .edit)
        #expect(d.common.rateLimit == RateLimitConfig(perMinute: 30) && d.connection.timeout == .seconds(10))
        #expect(s.channel == "#ops" && s.iconEmoji == ":rotating_light:" && !s.mentionOnCritical)
        #expect(w.headers.map(\.0) == ["Authorization"] && w.signingSecret?.exposedValue == "k3y")
        #expect(w.connection.caBundle == "/etc/ssl/private-ca.pem" && w.connection.connectTimeout == .seconds(3))
        #expect(w.common.maxAge == .seconds(6 * 3600))
        #expect(m.to == ["ops@example.com", "oncall@example.com"] && m.perMinute == 5 && m.perHour == 30)
        #expect(m.password?.exposedValue == "pw" && m.startTLS && m.username == "crier")
        #expect(a.url.exposedValue == "http://alertmanager.monitoring:9093" && a.common.stormThreshold == 50)
        #expect(c.common.name == "stdout" && c.common.stormThreshold == 100)
    }

    /// Each kind takes its own keys only: a key of another kind is unknown, with a hint.
    @Test func keysOfAnotherKindAreUnknown() {
        let (_, _, diagnostics) = readConfig("""
            notifiers:
              - {name: w, type: webhook, webhook_url: "https://h.example.com/x", mention_on_critical: false}
              - {name: c, type: console, webhook_url: "https://h.example.com/x"}
              - {name: m, type: email, smtp_url: "smtp://m:25", from: a@b, to: [c@d], update: new}
              - {name: s, type: slack, webhook_url: "https://hooks.slack.com/x", avatar_url: "https://x/a.png"}
            """)
        #expect(diagnostics.errors.map(\.path) == ["notifiers[0].mention_on_critical", "notifiers[1].webhook_url",
                                                  "notifiers[2].update", "notifiers[3].avatar_url"], "\(diagnostics.errors)")
        #expect(diagnostics.errors.allSatisfy { $0.message.hasPrefix("unknown key") && $0.line != nil })
    }

    @Test func discordNameRules() {
        #expect(DiscordConfig.usernameProblem("crier") == nil)
        #expect(DiscordConfig.usernameProblem(" crier bot ") == nil)
        #expect(DiscordConfig.usernameProblem(String(repeating: "é", count: 80)) == nil)
        #expect(DiscordConfig.usernameProblem(String(repeating: "é", count: 81))?.contains("81") == true)
        #expect(DiscordConfig.usernameProblem("my DiScOrD bot")?.contains("'discord'") == true)
        #expect(DiscordConfig.usernameProblem("Clyde")?.contains("'clyde'") == true)
        #expect(DiscordConfig.usernameProblem(" \t ")?.contains("empty") == true)
        #expect(DiscordConfig.usernameProblem("")?.contains("empty") == true)
    }

    @Test func slackEmojiCodes() {
        for good in [":rotating_light:", ":+1:", ":wave::skin-tone-3:"] { #expect(SlackConfig.isEmojiCode(good), "\(good)") }
        for bad in ["rotating_light", "::", ":a b:", ":x"] { #expect(!SlackConfig.isEmojiCode(bad), "\(bad)") }
    }

    @Test func aMissingSecretFileIsOneError() {
        let (_, notifiers, diagnostics) = readConfig("""
            notifiers:
              - {name: d, type: discord, webhook_url_file: /nonexistent}
            """)
        #expect(notifiers.isEmpty)
        #expect(diagnostics.errors.map(\.path) == ["notifiers[0].webhook_url_file"], "\(diagnostics.errors)")
    }

    @Test func whatTheDeliveryWorkerReadsOfEveryKind() {
        var discord = DiscordConfig(name: "d", webhookURL: Secret("https://discord.com/api/webhooks/1/t"))
        discord.update = .new
        var webhook = WebhookConfig(name: "w", webhookURL: Secret("https://h.example.com/x"))
        webhook.headers = [("Authorization", "Bearer abc"), ("X-Team", "ops")]
        webhook.signingSecret = Secret("k3y")
        var mail = EmailConfig(name: "m", smtpURL: Secret("smtp://m:25"), from: "a@b", to: ["c@d"])
        mail.password = Secret("pw")
        #expect(NotifierConfig.discord(discord).update == .new)
        #expect(NotifierConfig.slack(SlackConfig(name: "s", webhookURL: Secret("https://s"))).update == .new,
                "only Discord edits messages")
        #expect(NotifierConfig.discord(DiscordConfig(name: "d", webhookURL: Secret("https://d"))).update == .edit)
        #expect(NotifierConfig.webhook(webhook).secrets.map(\.exposedValue) == ["https://h.example.com/x", "k3y", "Bearer abc"])
        #expect(NotifierConfig.email(mail).secrets.map(\.exposedValue) == ["smtp://m:25", "pw"])
        #expect(NotifierConfig.email(mail).webhookURL == nil && NotifierConfig.email(mail).smtpURL?.exposedValue == "smtp://m:25")
        #expect(NotifierConfig.console(ConsoleConfig()).secrets.isEmpty && NotifierConfig.console(ConsoleConfig()).endpoint == nil)
        var config = NotifierConfig.email(mail)
        config.rateLimit = RateLimitConfig(perHour: 5)
        config.stormThreshold = 3
        #expect(config.common.rateLimit?.perHour == 5 && config.stormThreshold == 3 && config.kind == .email)
    }
}
