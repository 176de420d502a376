/// The whole configuration (CONTRACT "Config"). Every field says its default and why.
public struct CrierConfig: Sendable {
    /// Where the state database lives. Default: `$STATE_DIRECTORY` (set by systemd's
    /// `StateDirectory=`), else `./.crier`, so a first run needs no setup.
    public var stateDir: String?
    /// Inputs of `crier run`. Default: the local journal (stdin when there is none).
    public var sources: [SourceConfig]
    /// Pack names (shipped) or paths. Default (nil): every shipped pack.
    public var packs: [String]?
    /// Rules written in the config itself; their pack name is `local`.
    public var rules: [RuleDefinition]
    public var defaults: Defaults
    /// Default: none, which means the console (stdout), so `crier` alone shows what it would send.
    public var notifiers: [NotifierConfig]
    /// First match wins unless `continue: true`. Default: every alert to every notifier.
    public var routes: [RouteConfig]
    public var digests: [DigestConfig]
    public var server: ServerConfig?

    public init(stateDir: String? = nil, sources: [SourceConfig] = [], packs: [String]? = nil,
                rules: [RuleDefinition] = [], defaults: Defaults = Defaults(), notifiers: [NotifierConfig] = [],
                routes: [RouteConfig] = [], digests: [DigestConfig] = [], server: ServerConfig? = nil) {
        self.stateDir = stateDir
        self.sources = sources
        self.packs = packs
        self.rules = rules
        self.defaults = defaults
        self.notifiers = notifiers
        self.routes = routes
        self.digests = digests
        self.server = server
    }

    /// Settings shared by every rule unless a rule overrides them.
    public struct Defaults: Sendable {
        /// Alertmanager's three timers; see `GroupTiming` (10s / 5m / 4h).
        public var timing = GroupTiming.default
        /// Longer lines are cut to this and counted. Default 1 MiB: larger than any sane log
        /// line, small enough that one runaway line cannot exhaust memory.
        public var maxLineBytes = 1 << 20
        /// Alerts shown in full per message; the rest are counted. Default 5.
        public var maxSamples = 5

        public init() {}
    }

    /// An example that a test decodes, kept in step with CONTRACT.md.
    public static let example = """
        state_dir: /var/lib/crier
        sources:
          - type: journal
            units: [celery-worker.service]
            start: resume
            max_age: 10m
          - type: file
            paths: ["/var/log/app/*.jsonl"]
            format: auto
            message_key: msg
            read_from_head: false
        packs: [sshd, celery, python]
        rules:
          - id: disk_full
            severity: critical
            regex: 'No space left on device'
            title: "Disk full on {{host}}"
        defaults:
          group_wait: 10s
          group_interval: 5m
          repeat_interval: 4h
        notifiers:
          - name: discord-errors
            type: discord
            webhook_url: ${DISCORD_WEBHOOK_ERROR:-https://discord.com/api/webhooks/1/example}
            rate_limit: {per_minute: 30}
          - name: ops
            type: slack
            webhook_url: https://hooks.slack.com/services/T000/B000/XXXX
        routes:
          - match: {severity: [critical, error]}
            notifiers: [discord-errors]
          - notifiers: [ops]
        digests:
          - name: weekly
            schedule: "mon 09:00"
            notifiers: [ops]
        server:
          listen: 127.0.0.1:9107
        """
}

extension CrierConfig {
    /// Reads the root mapping; problems go to the node's diagnostics.
    public static func read(_ root: ConfigNode) -> CrierConfig {
        var config = CrierConfig()
        guard let map = root.map() else { return config }
        config.stateDir = map.string("state_dir")
        config.sources = map["sources"]?.list()?.compactMap { SourceConfig.read($0) } ?? []
        config.packs = map["packs"]?.stringList()
        config.rules = PackDefinition.readRules(map["rules"], pack: "local")
        if let defaults = map["defaults"]?.map() {
            var d = Defaults()
            d.timing.groupWait = defaults.duration("group_wait") ?? d.timing.groupWait
            d.timing.groupInterval = defaults.duration("group_interval", allowZero: false) ?? d.timing.groupInterval
            d.timing.repeatInterval = defaults.duration("repeat_interval", allowZero: false) ?? d.timing.repeatInterval
            d.maxLineBytes = defaults["max_line_bytes"]?.byteSize() ?? d.maxLineBytes
            d.maxSamples = defaults["max_samples"]?.int(min: 1, max: 50) ?? d.maxSamples
            defaults.finish()
            config.defaults = d
        }
        config.notifiers = map["notifiers"]?.list()?.compactMap { NotifierConfig.read($0) } ?? []
        config.routes = map["routes"]?.list()?.compactMap { RouteConfig.read($0) } ?? []
        config.digests = map["digests"]?.list()?.compactMap { DigestConfig.read($0) } ?? []
        if let server = map["server"]?.map() {
            config.server = ServerConfig(listen: server.string("listen") ?? ServerConfig.defaultListen)
            if let listen = config.server?.listen, ServerConfig.hostPort(listen) == nil {
                server["listen"]?.error("expected host:port (e.g. 127.0.0.1:9107, [::1]:9107 or :9107 for every interface)")
            }
            server.finish()
        }
        map.finish()
        config.validate(root)
        return config
    }

    /// Cross-field checks: names are unique and routes name existing notifiers.
    func validate(_ root: ConfigNode) {
        var names: Set<String> = []
        for (i, notifier) in notifiers.enumerated() where !names.insert(notifier.name).inserted {
            root.diagnostics.error("notifiers[\(i)].name", "'\(notifier.name)' is used by two notifiers", line: notifier.line)
        }
        for (i, route) in routes.enumerated() {
            for name in route.notifiers where !names.contains(name) {
                root.diagnostics.error("routes[\(i)].notifiers", "no notifier is named '\(name)'"
                    + (names.isEmpty ? "" : " (notifiers: \(names.sorted().joined(separator: ", ")))"), line: route.line)
            }
        }
        var digestNames: Set<String> = []
        for (i, digest) in digests.enumerated() {
            for name in digest.notifiers where !names.contains(name) {
                root.diagnostics.error("digests[\(i)].notifiers", "no notifier is named '\(name)'"
                    + (names.isEmpty ? "" : " (notifiers: \(names.sorted().joined(separator: ", ")))"), line: digest.line)
            }
            if !digestNames.insert(digest.name).inserted {
                root.diagnostics.error("digests[\(i)].name", "'\(digest.name)' is used by two digests", line: digest.line)
            }
        }
    }
}

/// An input of `crier run`.
public enum SourceConfig: Sendable {
    case journal(JournalSourceConfig)
    case file(FileSourceConfig)
    case stdin(format: InputFormat)

    static func read(_ node: ConfigNode) -> SourceConfig? {
        guard let map = node.map() else { return nil }
        defer { map.finish() }
        switch map.require("type")?.string() {
        case "journal":
            var c = JournalSourceConfig()
            c.units = map["units"]?.stringList() ?? []
            c.match = map["match"]?.map()?.pairs().compactMap { k, v in v.string().map { (k, $0) } } ?? []
            c.directory = map.string("directory")
            c.start = map["start"]?.oneOf(JournalSourceConfig.Start.self) ?? .resume
            c.maxAge = map.duration("max_age") ?? c.maxAge
            return .journal(c)
        case "file":
            var c = FileSourceConfig()
            c.paths = map.require("paths")?.stringList() ?? []
            if c.paths.isEmpty && map.has("paths") { map["paths"]?.error("needs at least one path or glob") }
            c.format = map["format"]?.oneOf(InputFormat.self) ?? .auto
            c.messageKey = map.string("message_key")
            c.readFromHead = map.bool("read_from_head") ?? false
            c.maxAge = map.duration("max_age") ?? c.maxAge
            return .file(c)
        case "stdin":
            return .stdin(format: map["format"]?.oneOf(InputFormat.self) ?? .auto)
        case let other?:
            map["type"]?.error("unknown source type '\(other)' (journal, file or stdin)")
            return nil
        case nil:
            return nil
        }
    }
}

/// How input lines are read.
public enum InputFormat: String, Sendable, CaseIterable {
    /// Sniff: JSON objects, journal JSON, binary journal, or text.
    case auto
    case text
    case json
    case journalJSON = "journal-json"
    /// A binary journal file or directory.
    case journal
}

public struct JournalSourceConfig: Sendable {
    public enum Start: String, Sendable, CaseIterable { case resume, tail, head }
    /// Only these units (`_SYSTEMD_UNIT`). Default: all.
    public var units: [String] = []
    /// Extra `FIELD=value` matches, ANDed with the unit list.
    public var match: [(String, String)] = []
    /// A journal directory. Default: the system journal.
    public var directory: String?
    /// Default `resume`: continue at the checkpoint, or at the tail on the first run.
    public var start = Start.resume
    /// Entries older than this after a restart update state but do not alert. Default 10m:
    /// a restart should not flood a channel with an hour of history.
    public var maxAge: Duration = .seconds(600)

    public init() {}
}

public struct FileSourceConfig: Sendable {
    /// Paths or globs; files that appear later are picked up.
    public var paths: [String] = []
    public var format = InputFormat.auto
    /// JSON key holding the message. Default: the first of msg, message, MESSAGE, log.
    public var messageKey: String?
    /// Read existing content on first sight. Default false: a sidecar alerts on what happens
    /// from now on, not on a file's history.
    public var readFromHead = false
    /// Lines older than this (by their own timestamp) update state but do not alert.
    /// Default 10m, as for the journal: `read_from_head` on an old file must not flood.
    public var maxAge: Duration = .seconds(600)

    public init() {}
}

/// A destination for messages.
public struct NotifierConfig: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case discord, slack, webhook, email, alertmanager, console
    }

    /// Discord: what a continuing burst does to the group's last message.
    public enum UpdateMode: String, Sendable, CaseIterable {
        /// PATCH the message with the new count (default: one message per episode, not a wall).
        case edit
        /// Post a new message each time.
        case new
    }

    public var name: String
    public var kind: Kind
    /// Webhook URL (discord, slack, webhook) or Alertmanager's base URL; from `webhook_url`
    /// (`url`) or `webhook_url_file` (a systemd credential, a Kubernetes secret).
    public var webhookURL: Secret?
    /// Slack: channel override (legacy webhooks only).
    public var channel: String?
    /// Display name override (Discord `username`, Slack `username`).
    public var username: String?
    /// Discord `avatar_url`, Slack `icon_url`.
    public var avatarURL: String?
    /// Slack `icon_emoji`.
    public var iconEmoji: String?
    /// Mention `@here` (Discord) / `<!here>` (Slack) on critical alerts. Default true:
    /// critical means someone should look now.
    public var mentionOnCritical = true
    /// Discord: default `edit`.
    public var update = UpdateMode.edit
    /// Configured pacing; the server's own limits are learned on top (DESIGN §5). Default
    /// for Discord 5 per 2 s and 30 per minute, for Slack 1 per second (their documented or
    /// observed limits), none otherwise.
    public var rateLimit: RateLimitConfig?
    /// Extra HTTP headers (generic webhook).
    public var headers: [(String, String)] = []
    /// HMAC-SHA256 key for the generic webhook's `X-Crier-Signature` (`secret` or `secret_file`).
    public var signingSecret: Secret?
    /// Trust this CA bundle instead of the system's (self-hosted endpoints).
    public var caBundle: String?
    /// Total request timeout. Default 10 s.
    public var timeout: Duration = .seconds(10)
    /// Connection timeout. Default 5 s.
    public var connectTimeout: Duration = .seconds(5)
    /// Retry a message until it is this old, then dead-letter it. Default 24 h.
    public var maxAge: Duration = .seconds(86_400)
    /// More pending messages than this and the queue folds (StormControl). Default 20.
    public var stormThreshold = 20
    /// E-mail: `smtp://host:587` (STARTTLS) or `smtps://host:465`.
    public var smtpURL: Secret?
    public var smtpUsername: String?
    /// From `password` or `password_file`.
    public var smtpPassword: Secret?
    /// Require STARTTLS on smtp:// (default true: credentials never go in clear text).
    public var startTLS = true
    public var mailFrom: String?
    public var mailTo: [String] = []
    /// Per-recipient caps. Default 10 per minute and 60 per hour: an inbox is not a chat.
    public var mailPerMinute = 10
    public var mailPerHour = 60
    /// Where it was written, for cross-checks reported after reading.
    public var line: Int?

    /// Every credential of this notifier, for `KnownSecretScrubber`. Header values count when the
    /// header's name says it carries one (Authorization, X-Api-Key, a token, a cookie).
    public var secrets: [Secret] {
        let credentialHeaders = headers.filter { name, _ in
            let n = name.lowercased()
            return ["auth", "token", "key", "secret", "signature", "cookie", "password"].contains { n.contains($0) }
        }
        return [webhookURL, signingSecret, smtpURL, smtpPassword].compactMap { $0 } + credentialHeaders.map { Secret($0.1) }
    }

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    static func read(_ node: ConfigNode) -> NotifierConfig? {
        guard let map = node.map() else { return nil }
        defer { map.finish() }
        let name = map.require("name")?.string() ?? ""
        guard let kind = map.require("type")?.oneOf(Kind.self) else { return nil }
        var c = NotifierConfig(name: name, kind: kind)
        c.line = node.line
        c.webhookURL = NotifierConfig.secret(map, value: kind == .alertmanager ? "url" : "webhook_url",
                                             file: kind == .alertmanager ? "url_file" : "webhook_url_file")
        c.mentionOnCritical = map.bool("mention_on_critical") ?? true
        c.caBundle = map.string("ca_bundle")
        c.timeout = map.duration("timeout", allowZero: false) ?? c.timeout
        c.connectTimeout = map.duration("connect_timeout", allowZero: false) ?? c.connectTimeout
        c.maxAge = map.duration("max_age", allowZero: false) ?? c.maxAge
        c.stormThreshold = map["storm_threshold"]?.int(min: 1) ?? c.stormThreshold
        if let rate = map["rate_limit"]?.map() {
            c.rateLimit = RateLimitConfig(
                perSecond: rate["per_second"]?.double(min: 0.001), perMinute: rate["per_minute"]?.double(min: 0.001),
                perHour: rate["per_hour"]?.double(min: 0.001), burst: rate["burst"]?.int(min: 1))
            rate.finish()
        }
        switch kind {
        case .discord:
            c.username = map.string("username")
            c.avatarURL = map.string("avatar_url")
            c.update = map["update"]?.oneOf(UpdateMode.self) ?? .edit
        case .slack:
            c.channel = map.string("channel")
            c.username = map.string("username")
            c.avatarURL = map.string("icon_url")
            c.iconEmoji = map.string("icon_emoji")
        case .webhook:
            c.headers = map["headers"]?.map()?.pairs().compactMap { k, v in v.string().map { (k, $0) } } ?? []
            c.signingSecret = NotifierConfig.secret(map, value: "secret", file: "secret_file")
        case .email:
            c.smtpURL = NotifierConfig.secret(map, value: "smtp_url", file: "smtp_url_file")
            c.smtpUsername = map.string("username")
            c.smtpPassword = NotifierConfig.secret(map, value: "password", file: "password_file")
            c.startTLS = map.bool("starttls") ?? true
            c.mailFrom = map.require("from")?.string()
            c.mailTo = map.require("to")?.stringList() ?? []
            if let limits = map["per_recipient"]?.map() {
                c.mailPerMinute = limits["per_minute"]?.int(min: 1) ?? c.mailPerMinute
                c.mailPerHour = limits["per_hour"]?.int(min: 1) ?? c.mailPerHour
                limits.finish()
            }
            if c.smtpURL == nil { map.node.diagnostics.error(map.childPath("smtp_url"), "is required for an email notifier", line: map.node.line) }
            if let url = c.smtpURL, !(url.exposedValue.hasPrefix("smtp://") || url.exposedValue.hasPrefix("smtps://")) {
                map["smtp_url"]?.error("must start with smtp:// or smtps://")
            }
            if c.mailTo.isEmpty && map.has("to") { map["to"]?.error("needs at least one address") }
        case .alertmanager, .console:
            break
        }
        switch kind {
        case .discord, .slack, .webhook, .alertmanager:
            let key = kind == .alertmanager ? "url" : "webhook_url"
            if c.webhookURL == nil {
                map.node.diagnostics.error(map.childPath(key), "is required for \(kind == .alertmanager || kind == .email ? "an" : "a") \(kind.rawValue) notifier", line: map.node.line)
            } else if let url = c.webhookURL, !(url.exposedValue.hasPrefix("https://") || url.exposedValue.hasPrefix("http://")) {
                // The value itself is a secret: say what is wrong without echoing it.
                map[key]?.error("must start with https:// (got \(url.isEmpty ? "an empty value" : "a value that does not"))")
            }
        case .email, .console:
            break
        }
        return c
    }

    /// A secret given inline or in a file. The file's text is read when the config is loaded.
    static func secret(_ map: ConfigMap, value key: String, file fileKey: String) -> Secret? {
        let inline = map.string(key)
        guard let fileNode = map[fileKey], let path = fileNode.string() else { return inline.map(Secret.init) }
        if inline != nil { fileNode.error("give \(key) or \(fileKey), not both") }
        guard let text = fileNode.readFile(path) else {
            fileNode.error("cannot read \(path)")
            return nil
        }
        // A trailing newline is how files end, not part of the secret.
        var trimmed = Substring(text)
        while let last = trimmed.last, last == "\n" || last == "\r" || last == " " { trimmed = trimmed.dropLast() }
        return Secret(String(trimmed))
    }
}

public struct RateLimitConfig: Hashable, Sendable {
    public var perSecond: Double?
    public var perMinute: Double?
    public var perHour: Double?
    public var burst: Int?
}

/// Sends alerts that match to the named notifiers.
public struct RouteConfig: Sendable {
    public var severities: [Severity] = []
    public var packs: [String] = []
    public var rules: [String] = []
    public var labels: [SelectorDefinition] = []
    public var notifiers: [String] = []
    /// Default false: the first matching route takes the alert.
    public var continues = false
    public var line: Int?

    public init() {}

    static func read(_ node: ConfigNode) -> RouteConfig? {
        guard let map = node.map() else { return nil }
        var route = RouteConfig()
        route.line = node.line
        if let match = map["match"]?.map() {
            route.severities = match["severity"]?.list(acceptsScalar: true)?.compactMap { $0.oneOf(Severity.self) } ?? []
            route.packs = match["pack"]?.stringList() ?? []
            route.rules = match["rule"]?.stringList() ?? []
            route.labels = match["labels"].map(RuleDefinition.readSelectors) ?? []
            match.finish()
        }
        route.notifiers = map.require("notifiers")?.stringList() ?? []
        route.continues = map.bool("continue") ?? false
        map.finish()
        return route
    }
}

/// A scheduled summary (`digests:`).
public struct DigestConfig: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Counts per rule and severity, the top groups, stuck and absent counts and delivery
        /// health since the last digest. Sent even when quiet: silence is news too.
        case summary
        /// The groups at `min_severity` or above seen in the window; nothing is sent when
        /// there were none. With `every: 30m`: "failures in the last 30 minutes".
        case failures
    }

    public var name: String
    public var kind = Kind.summary
    /// A calendar moment (`mon 09:00`, `09:00`, `weekdays 08:30 Europe/Paris`); or `every`.
    public var schedule: CalendarSchedule?
    public var every: Duration?
    /// Default: every notifier.
    public var notifiers: [String] = []
    /// Groups listed. Default 10.
    public var top = 10
    /// `failures`: the lowest severity listed. Default error.
    public var minSeverity = Severity.error
    /// Send when nothing happened. Default: true for `summary`, false for `failures`.
    public var sendEmpty: Bool?
    public var line: Int?

    public init(name: String) { self.name = name }

    public var sendsWhenEmpty: Bool { sendEmpty ?? (kind == .summary) }

    /// `mon 09:00` or `every 30m`, for messages.
    public var cadence: String { schedule.map { $0.text } ?? every.map { "every \(DurationParser.format($0))" } ?? "" }

    static func read(_ node: ConfigNode) -> DigestConfig? {
        guard let map = node.map() else { return nil }
        defer { map.finish() }
        var d = DigestConfig(name: map.require("name")?.string() ?? "")
        d.line = node.line
        d.kind = map["kind"]?.oneOf(Kind.self) ?? .summary
        if let text = map.string("schedule") {
            switch CalendarSchedule.parse(text) {
            case .success(let s): d.schedule = s
            case .failure(let e): map["schedule"]?.error(e.message)
            }
        }
        d.every = map.duration("every", allowZero: false)
        if d.schedule == nil && d.every == nil && map["schedule"] == nil {
            map.node.diagnostics.error(map.childPath("schedule"), "is required: a time such as 'mon 09:00', or `every: 30m`",
                                       line: node.line)
        }
        if map["schedule"] != nil && d.every != nil {
            map["every"]?.error("give either `schedule` or `every`, not both")
        }
        d.notifiers = map["notifiers"]?.stringList() ?? []
        d.top = map["top"]?.int(min: 1, max: 50) ?? d.top
        d.minSeverity = map["min_severity"]?.oneOf(Severity.self) ?? d.minSeverity
        d.sendEmpty = map.bool("send_empty")
        return d
    }
}

public struct ServerConfig: Sendable {
    public static let defaultListen = "127.0.0.1:9107"
    /// Admin HTTP server address (`/metrics`, `/healthz`, `/readyz`, `/api/v1/...`). Default
    /// loopback only: metrics and delivery state are not for the public. The server runs
    /// only when `server:` is configured.
    public var listen: String

    /// `host:port`, `[v6]:port` or `:port` (every interface); nil when not that shape.
    public static func hostPort(_ listen: String) -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65_535).contains(port) else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        if host.contains(":") && !listen.hasPrefix("[") { return nil }  // an IPv6 address needs brackets
        return (host, port)
    }
}
