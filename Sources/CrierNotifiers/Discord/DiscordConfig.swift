public import CrierCore

/// A Discord notifier (`type: discord`): an *Execute Webhook* URL and how messages look.
/// Everything Discord would refuse with a 400 is refused here, when the config is checked,
/// rather than as a lost alert (WEBHOOK_APIS.md §1.2–1.3).
public struct DiscordConfig: Sendable {
    /// What a continuing burst does to the group's last message.
    public enum UpdateMode: String, Sendable, CaseIterable {
        /// PATCH the message with the new count (default: one message per episode, not a wall).
        case edit
        /// Post a new message each time.
        case new
    }

    /// Name, pacing, retry age and storm threshold: what every kind has.
    public var common: NotifierCommon
    /// `timeout`, `connect_timeout`, `ca_bundle`; defaults in `ConnectionConfig`.
    public var connection = ConnectionConfig()
    /// `webhook_url` or `webhook_url_file` (a systemd credential, a Kubernetes secret).
    /// Required: it is both the destination and the credential.
    public var webhookURL: Secret
    /// Shown instead of the webhook's name. Default: the name set in Discord. Discord refuses
    /// names that are empty, longer than 80 characters, or contain "discord" or "clyde".
    public var username: String?
    /// An http(s) image shown instead of the webhook's avatar. Default: the one set in Discord.
    public var avatarURL: String?
    /// `@here` on critical alerts (`mention_on_critical`). Default true: critical means
    /// someone should look now.
    public var mentionOnCritical = true
    /// Default `edit`: a burst that goes on updates its message instead of adding new ones.
    public var update = UpdateMode.edit

    public init(common: NotifierCommon, webhookURL: Secret) {
        self.common = common
        self.webhookURL = webhookURL
    }

    public init(name: String, webhookURL: Secret) {
        self.init(common: NotifierCommon(name: name), webhookURL: webhookURL)
    }

    public var secrets: [Secret] { [webhookURL] }

    /// Every key, as a test decodes it.
    public static let example = """
        notifiers:
          - name: discord-errors
            type: discord
            webhook_url_file: /run/credentials/crier.service/discord-errors
            username: crier
            avatar_url: https://example.com/crier.png
            mention_on_critical: true
            update: edit
            rate_limit: {per_minute: 30}
            timeout: 10s
        """

    static func read(_ entry: NotifierEntry) -> DiscordConfig? {
        let map = entry.map
        let url = EndpointURL.read(map, key: "webhook_url", fileKey: "webhook_url_file", kind: .discord)
        var c = DiscordConfig(common: entry.common, webhookURL: url ?? Secret(""))
        c.connection = ConnectionConfig.read(map)
        if let node = map["username"], let name = node.string() {
            if let problem = DiscordConfig.usernameProblem(name) { node.error(problem) }
            c.username = name
        }
        c.avatarURL = EndpointURL.readLink(map, "avatar_url")
        c.mentionOnCritical = map.bool("mention_on_critical") ?? c.mentionOnCritical
        c.update = map["update"]?.oneOf(UpdateMode.self) ?? c.update
        return url == nil ? nil : c
    }

    /// Why Discord would refuse `name` as a webhook's name, or nil. Discord trims names and
    /// limits webhook names to 1–80 characters without the substrings "discord" and "clyde",
    /// in any case (Webhook resource, *Create Webhook*; it applies to `username` too).
    static func usernameProblem(_ name: String) -> String? {
        let trimmed = String(name.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        if trimmed.isEmpty { return "is empty; Discord needs 1 to 80 characters (leave it out to use the webhook's own name)" }
        let lower = trimmed.lowercased()
        for word in ["discord", "clyde"] where lower.contains(word) {
            return "Discord refuses names containing '\(word)' (any case), found '\(name)'"
        }
        if TextLimit.length(trimmed) > DiscordRenderer.Limit.username {
            return "is \(TextLimit.length(trimmed)) characters long; Discord allows at most \(DiscordRenderer.Limit.username)"
        }
        return nil
    }
}
