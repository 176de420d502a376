public import CrierCore

/// A Slack notifier (`type: slack`): an incoming-webhook URL and, for legacy webhooks, the
/// identity and channel overrides (an app's webhook ignores them: it posts as the app, to
/// the channel chosen when it was installed; WEBHOOK_APIS.md §2.1).
public struct SlackConfig: Sendable {
    /// Name, pacing, retry age and storm threshold: what every kind has.
    public var common: NotifierCommon
    /// `timeout`, `connect_timeout`, `ca_bundle`; defaults in `ConnectionConfig`.
    public var connection = ConnectionConfig()
    /// `webhook_url` or `webhook_url_file`. Required: it is both the destination and the
    /// credential.
    public var webhookURL: Secret
    /// Legacy webhooks: post to this channel (`#ops`, `@user` or a channel ID). Default: the
    /// webhook's own channel.
    public var channel: String?
    /// Legacy webhooks: the name shown. Default: the webhook's.
    public var username: String?
    /// Legacy webhooks: an http(s) image as the icon (`icon_url`). Default: the webhook's.
    public var iconURL: String?
    /// Legacy webhooks: an emoji code such as `:rotating_light:` as the icon. Slack shows it
    /// instead of `icon_url` when both are given. Default: the webhook's.
    public var iconEmoji: String?
    /// `<!here>` on critical alerts (`mention_on_critical`). Default true: critical means
    /// someone should look now.
    public var mentionOnCritical = true

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
          - name: ops
            type: slack
            webhook_url: https://hooks.slack.com/services/T000/B000/XXXX
            channel: "#ops"
            username: crier
            icon_emoji: ":rotating_light:"
            mention_on_critical: false
            rate_limit: {per_second: 1}
        """

    static func read(_ entry: NotifierEntry) -> SlackConfig? {
        let map = entry.map
        let url = EndpointURL.read(map, key: "webhook_url", fileKey: "webhook_url_file", kind: .slack)
        var c = SlackConfig(common: entry.common, webhookURL: url ?? Secret(""))
        c.connection = ConnectionConfig.read(map)
        c.channel = nonEmpty(map, "channel", "leave it out to post to the webhook's own channel")
        c.username = nonEmpty(map, "username", "leave it out to use the webhook's own name")
        c.iconURL = EndpointURL.readLink(map, "icon_url")
        if let node = map["icon_emoji"], let emoji = node.string() {
            if !SlackConfig.isEmojiCode(emoji) {
                node.error("expected an emoji code between colons such as :rotating_light:, found '\(emoji)'")
            }
            c.iconEmoji = emoji
        }
        c.mentionOnCritical = map.bool("mention_on_critical") ?? c.mentionOnCritical
        return url == nil ? nil : c
    }

    /// An override that is there but blank would be sent as such; Slack cannot post to a
    /// channel named " ".
    static func nonEmpty(_ map: ConfigMap, _ key: String, _ hint: String) -> String? {
        guard let node = map[key], let value = node.string() else { return nil }
        if value.allSatisfy(\.isWhitespace) { node.error("is empty (\(hint))") }
        return value
    }

    /// `:name:` (`:+1:`, `:wave::skin-tone-3:` too): what Slack's `icon_emoji` takes.
    static func isEmojiCode(_ text: String) -> Bool {
        text.count > 2 && text.hasPrefix(":") && text.hasSuffix(":") && !text.contains { $0.isWhitespace }
    }
}
