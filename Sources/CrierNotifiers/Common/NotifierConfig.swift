public import CrierCore

/// One configured notifier: its kind's settings, each kind's type beside its notifier. What
/// the delivery worker needs of any kind (name, pacing, retry age, storm threshold, edit
/// mode, credentials, endpoint) is read through the properties below, so it never switches
/// on the kind itself.
public enum NotifierConfig: Sendable {
    case discord(DiscordConfig)
    case slack(SlackConfig)
    case webhook(WebhookConfig)
    case email(EmailConfig)
    case alertmanager(AlertmanagerConfig)
    case console(ConsoleConfig)

    public typealias Kind = NotifierKind
    public typealias UpdateMode = DiscordConfig.UpdateMode

    public var kind: Kind {
        switch self {
        case .discord: .discord
        case .slack: .slack
        case .webhook: .webhook
        case .email: .email
        case .alertmanager: .alertmanager
        case .console: .console
        }
    }

    /// The settings every kind has.
    public var common: NotifierCommon {
        get {
            switch self {
            case .discord(let c): c.common
            case .slack(let c): c.common
            case .webhook(let c): c.common
            case .email(let c): c.common
            case .alertmanager(let c): c.common
            case .console(let c): c.common
            }
        }
        set {
            switch self {
            case .discord(var c): c.common = newValue; self = .discord(c)
            case .slack(var c): c.common = newValue; self = .slack(c)
            case .webhook(var c): c.common = newValue; self = .webhook(c)
            case .email(var c): c.common = newValue; self = .email(c)
            case .alertmanager(var c): c.common = newValue; self = .alertmanager(c)
            case .console(var c): c.common = newValue; self = .console(c)
            }
        }
    }

    public var name: String {
        get { common.name }
        set { common.name = newValue }
    }

    public var rateLimit: RateLimitConfig? {
        get { common.rateLimit }
        set { common.rateLimit = newValue }
    }

    public var maxAge: Duration {
        get { common.maxAge }
        set { common.maxAge = newValue }
    }

    public var stormThreshold: Int {
        get { common.stormThreshold }
        set { common.stormThreshold = newValue }
    }

    /// `edit` only where messages can be edited in place (Discord); every other kind posts
    /// anew.
    public var update: UpdateMode {
        if case .discord(let c) = self { return c.update }
        return .new
    }

    /// Every credential of this notifier, for `KnownSecretScrubber`.
    public var secrets: [Secret] {
        switch self {
        case .discord(let c): c.secrets
        case .slack(let c): c.secrets
        case .webhook(let c): c.secrets
        case .email(let c): c.secrets
        case .alertmanager(let c): c.secrets
        case .console: []
        }
    }

    /// The HTTP endpoint (Discord, Slack, webhook, Alertmanager's base URL); nil otherwise.
    public var webhookURL: Secret? {
        switch self {
        case .discord(let c): c.webhookURL
        case .slack(let c): c.webhookURL
        case .webhook(let c): c.webhookURL
        case .alertmanager(let c): c.url
        case .email, .console: nil
        }
    }

    /// The SMTP server of an e-mail notifier; nil otherwise.
    public var smtpURL: Secret? {
        if case .email(let c) = self { return c.smtpURL }
        return nil
    }

    /// Where messages go (`crier check` prints it redacted); nil for the console.
    public var endpoint: Secret? { webhookURL ?? smtpURL }

    /// How it connects; nil for the console.
    public var connection: ConnectionConfig? {
        switch self {
        case .discord(let c): c.connection
        case .slack(let c): c.connection
        case .webhook(let c): c.connection
        case .email(let c): c.connection
        case .alertmanager(let c): c.connection
        case .console: nil
        }
    }

    /// A private CA to trust, when configured.
    public var caBundle: String? { connection?.caBundle }
}
