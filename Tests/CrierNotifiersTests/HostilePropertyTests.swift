import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierNotifiers

/// For every notifier, a batch whose every piece of log text is hostile (`HostileText`, by
/// seed) renders into a payload in which no log text is markup, a link, a mention or a
/// ping, every limit holds and the JSON is valid; the console text holds no raw control.
/// The properties themselves are `HostilePayloadChecks`/`HostileTextChecks`.
@Suite struct HostilePropertyTests {
    static let seeds: [UInt64] = Array(0..<150)

    static func batch(_ seed: UInt64) -> AlertBatch {
        var g = HostileText(seed: seed)
        return g.batch()
    }

    static func report(_ seed: UInt64, _ problems: [String]) -> Comment {
        let text = "seed \(seed): " + problems.prefix(6).joined(separator: "\n")
        return Comment(rawValue: text)
    }

    @Test(arguments: seeds)
    func discordPayloadAndFallback(_ seed: UInt64) {
        let batch = Self.batch(seed)
        var config = Fixtures.discord
        config.mentionOnCritical = seed % 2 == 0
        let notifier = DiscordNotifier(config: config)
        let problems = HostilePayloadChecks.discord(notifier.render(batch).body)
            + HostilePayloadChecks.discordFallback(notifier.plainFallback(batch) ?? "")
        #expect(problems.isEmpty, Self.report(seed, problems))
    }

    @Test(arguments: seeds)
    func slackPayloadAndFallback(_ seed: UInt64) {
        let batch = Self.batch(seed)
        var config = Fixtures.slack
        config.mentionOnCritical = seed % 2 == 0
        let notifier = SlackNotifier(config: config)
        let problems = HostilePayloadChecks.slack(notifier.render(batch).body)
            + HostilePayloadChecks.slackFallback(notifier.plainFallback(batch) ?? "")
        #expect(problems.isEmpty, Self.report(seed, problems))
    }

    @Test(arguments: seeds)
    func emailConsoleWebhookAndAlertmanager(_ seed: UInt64) {
        let batch = Self.batch(seed)
        var problems = HostilePayloadChecks.email(MailAndAlertmanagerGoldenTests.mailer().render(batch).body)
        problems += HostileTextChecks.terminal(ConsoleRenderer.text(batch), "console")
        let console = ConsoleNotifier(config: ConsoleConfig()).render(batch).body
        problems += HostilePayloadChecks.json(console.encoded, "console")
        // A generic webhook gets the data as logged (redacted upstream), in valid JSON.
        let webhook = WebhookNotifier(config: WebhookConfig(name: "hook", webhookURL: Secret(Fixtures.url))).render(batch).body
        problems += HostilePayloadChecks.json(webhook.encoded, "webhook")
        // (Compared on crier's tree: Foundation's parser on Linux drops U+FEFF inside strings.)
        let first = webhook["alerts"]?[index: 0]
        if first?["title"] != .string(batch.lead?.title ?? "") || first?["body"] != .string(batch.lead?.body ?? "") {
            problems.append("webhook: log text not carried as it is")
        }
        let alertmanager = AlertmanagerNotifier(config: AlertmanagerConfig(name: "am", url: Secret("http://am:9093"))).render(batch).body
        problems += HostilePayloadChecks.json(alertmanager.encoded, "alertmanager")
        #expect(problems.isEmpty, Self.report(seed, problems))
    }

    /// The generator does produce what the properties are about (a property over inputs that
    /// never contain the danger cannot fail).
    @Test func generatorCoversEveryFamily() {
        var g = HostileText(seed: 7)
        let sample = (0..<400).map { _ in g.string() }.joined()
        for needle in ["[verify your account](", "@everyone", "<@", "<!here>", "\u{1B}]", "\u{9B}", "\u{202E}", "\u{FFFD}", "```", "-# ", "\u{0301}\u{0301}"] {
            #expect(sample.unicodeScalars.count > 10_000 && sample.contains(needle), "\(needle.debugDescription)")
        }
        #expect((0..<50).contains { _ in g.string().utf8.count > 5_000 }, "huge strings")
    }
}
