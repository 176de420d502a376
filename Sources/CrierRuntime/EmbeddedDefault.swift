import CrierCore
import CrierNotifiers
import Foundation

/// The configuration used when no file is given (CONTRACT "embedded default").
public enum EmbeddedDefault {
    static let securityPacks = ["sshd", "dropbear", "pam", "sudo", "audit"]

    public static func config(environment env: [String: String]) -> ResolvedConfig {
        var config = ResolvedConfig()
        config.sources = [.journal(JournalSourceConfig())]
        func value(_ key: String) -> String? {
            guard let v = env[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        func discord(_ name: String, _ key: String) -> NotifierConfig? {
            guard let url = value(key) else { return nil }
            return .discord(DiscordConfig(name: name, webhookURL: Secret(url)))
        }
        var catchAll: [NotifierConfig] = []
        if let n = discord("discord", "DISCORD_WEBHOOK_URL") { catchAll.append(n) }
        if let url = value("SLACK_WEBHOOK_URL") ?? value("SLACK_WEBHOOK") {
            var slack = SlackConfig(name: "slack", webhookURL: Secret(url))
            slack.channel = value("SLACK_CHANNEL")
            catchAll.append(.slack(slack))
        }
        let general = discord("discord-general", "DISCORD_WEBHOOK_GENERAL")
        let error = discord("discord-error", "DISCORD_WEBHOOK_ERROR")
        let critical = discord("discord-critical", "DISCORD_WEBHOOK_CRITICAL")
        let monitoring = discord("discord-monitoring", "DISCORD_WEBHOOK_MONITORING")
        let security = discord("discord-security", "DISCORD_WEBHOOK_SECURITY")
        let specific = [security, critical, error, monitoring, general].compactMap { $0 }
        config.notifiers = catchAll + specific
        guard !specific.isEmpty else { return config }  // no routes: everything to every notifier

        func route(_ notifiers: [NotifierConfig], severities: [Severity] = [], packs: [String] = [],
                   continues: Bool = false) -> RouteConfig {
            var r = RouteConfig()
            r.notifiers = notifiers.map(\.name)
            r.severities = severities
            r.packs = packs
            r.continues = continues
            return r
        }
        if !catchAll.isEmpty { config.routes.append(route(catchAll, continues: true)) }
        if let security { config.routes.append(route([security], packs: securityPacks)) }
        if let critical { config.routes.append(route([critical], severities: [.critical])) }
        if let error { config.routes.append(route([error], severities: critical == nil ? [.error, .critical] : [.error])) }
        if let monitoring { config.routes.append(route([monitoring], severities: [.info, .warning])) }
        if let general { config.routes.append(route([general])) }
        return config
    }
}
