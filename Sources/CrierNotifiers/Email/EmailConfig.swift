public import CrierCore

/// An e-mail notifier (`type: email`): an SMTP server, a sender and recipients.
public struct EmailConfig: Sendable {
    /// Name, pacing, retry age and storm threshold: what every kind has.
    public var common: NotifierCommon
    /// `timeout` here is at least 30 s when sending: an SMTP exchange has several round trips.
    public var connection = ConnectionConfig()
    /// `smtp://host:587` (STARTTLS) or `smtps://host:465` (TLS from the start), from
    /// `smtp_url` or `smtp_url_file`. Required.
    public var smtpURL: Secret
    /// Login name. Default: no login (a relay that trusts the host).
    public var username: String?
    /// From `password` or `password_file`. Default: none.
    public var password: Secret?
    /// Require STARTTLS on smtp:// (`starttls`). Default true: credentials and alerts never
    /// cross the network in clear text unless this is turned off on purpose.
    public var startTLS = true
    /// The sender address (`from`). Required: relays refuse mail without one.
    public var from: String
    /// Recipients (`to`), at least one. Required.
    public var to: [String]
    /// Messages per recipient a minute (`per_recipient: {per_minute}`). Default 10: an inbox
    /// is not a chat, and a storm must not bury it.
    public var perMinute = 10
    /// And an hour (`per_recipient: {per_hour}`). Default 60, for the same reason.
    public var perHour = 60

    public init(common: NotifierCommon, smtpURL: Secret, from: String, to: [String]) {
        self.common = common
        self.smtpURL = smtpURL
        self.from = from
        self.to = to
    }

    public init(name: String, smtpURL: Secret, from: String, to: [String]) {
        self.init(common: NotifierCommon(name: name), smtpURL: smtpURL, from: from, to: to)
    }

    public var secrets: [Secret] { [smtpURL] + [password].compactMap { $0 } }

    /// Every key, as a test decodes it.
    public static let example = """
        notifiers:
          - name: oncall-mail
            type: email
            smtp_url: smtp://mail.example.com:587
            username: crier
            password_file: /run/credentials/crier.service/smtp-password
            starttls: true
            from: crier@example.com
            to: [ops@example.com, oncall@example.com]
            per_recipient: {per_minute: 5, per_hour: 30}
        """

    static func read(_ entry: NotifierEntry) -> EmailConfig? {
        let map = entry.map
        let url = map.secret("smtp_url", file: "smtp_url_file")
        if url == nil && !map.has("smtp_url_file") { map.missing("smtp_url", "is required for an email notifier") }
        if let url, !(url.exposedValue.hasPrefix("smtp://") || url.exposedValue.hasPrefix("smtps://")) {
            map["smtp_url"]?.error("must start with smtp:// or smtps://")
        }
        let from = map.require("from")?.string()
        let to = map.require("to")?.stringList() ?? []
        if to.isEmpty && map.has("to") { map["to"]?.error("needs at least one address") }
        var c = EmailConfig(common: entry.common, smtpURL: url ?? Secret(""), from: from ?? "", to: to)
        c.connection = ConnectionConfig.read(map)
        c.username = map.string("username")
        c.password = map.secret("password", file: "password_file")
        c.startTLS = map.bool("starttls") ?? c.startTLS
        if let limits = map["per_recipient"]?.map() {
            c.perMinute = limits["per_minute"]?.int(min: 1) ?? c.perMinute
            c.perHour = limits["per_hour"]?.int(min: 1) ?? c.perHour
            limits.finish()
        }
        return url == nil || from == nil || to.isEmpty ? nil : c
    }
}
