public import CrierCore

/// Reads the kind's part of a `notifiers:` entry: `type` picks the kind, and the kind's
/// config type reads and checks its own keys. The config loader hands this to
/// `CrierConfig.read(_:notifiers:)`, which has read the shared part.
public enum NotifierCatalog {
    /// nil when the entry cannot become a notifier; every reason is in the diagnostics.
    public static func read(_ entry: NotifierEntry) -> NotifierConfig? {
        guard let kind = entry.map.require("type")?.oneOf(NotifierKind.self) else {
            // Without a kind no other key can be judged: one error, for the root cause.
            entry.map.ignoreRemainingKeys()
            return nil
        }
        switch kind {
        case .discord: return DiscordConfig.read(entry).map(NotifierConfig.discord)
        case .slack: return SlackConfig.read(entry).map(NotifierConfig.slack)
        case .webhook: return WebhookConfig.read(entry).map(NotifierConfig.webhook)
        case .email: return EmailConfig.read(entry).map(NotifierConfig.email)
        case .alertmanager: return AlertmanagerConfig.read(entry).map(NotifierConfig.alertmanager)
        case .console: return ConsoleConfig.read(entry).map(NotifierConfig.console)
        }
    }

    /// Each kind's documented example (a `notifiers:` list with one entry using every key).
    public static let examples: [NotifierKind: String] = [
        .discord: DiscordConfig.example, .slack: SlackConfig.example, .webhook: WebhookConfig.example,
        .email: EmailConfig.example, .alertmanager: AlertmanagerConfig.example, .console: ConsoleConfig.example,
    ]
}
