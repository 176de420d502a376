/// The whole configuration but the notifiers' kinds (CONTRACT "Config"). Every field says
/// its default and why. Notifiers are read in two halves: what every kind shares
/// (`NotifierCommon`) here, the rest by the kind's own reader in CrierNotifiers, which
/// `read(_:notifiers:)` calls for each entry.
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
    /// First match wins unless `continue: true`. Default: every alert to every notifier.
    public var routes: [RouteConfig]
    public var digests: [DigestConfig]
    public var server: ServerConfig?

    public init(stateDir: String? = nil, sources: [SourceConfig] = [], packs: [String]? = nil,
                rules: [RuleDefinition] = [], defaults: Defaults = Defaults(), routes: [RouteConfig] = [],
                digests: [DigestConfig] = [], server: ServerConfig? = nil) {
        self.stateDir = stateDir
        self.sources = sources
        self.packs = packs
        self.rules = rules
        self.defaults = defaults
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
    /// Reads the root mapping; problems go to the node's diagnostics. `readNotifier` reads
    /// the kind's part of each `notifiers:` entry (nil when it could not), after Core read the
    /// shared part; the notifiers come back in file order beside the config.
    public static func read<Notifier>(_ root: ConfigNode, notifiers readNotifier: (NotifierEntry) -> Notifier?)
        -> (config: CrierConfig, notifiers: [Notifier])
    {
        var config = CrierConfig()
        guard let map = root.map() else { return (config, []) }
        config.stateDir = map.string("state_dir")
        config.sources = map["sources"]?.list()?.compactMap { SourceConfig.read($0) } ?? []
        config.packs = map["packs"]?.stringList()
        config.rules = PackDefinition.readRules(map["rules"], pack: "local")
        if let defaults = map["defaults"]?.map() { config.defaults = Defaults.read(defaults) }
        var commons: [NotifierCommon] = []
        var notifiers: [Notifier] = []
        for item in map["notifiers"]?.list() ?? [] {
            guard let entry = item.map() else { continue }
            let common = NotifierCommon.read(entry)
            commons.append(common)
            if let notifier = readNotifier(NotifierEntry(common: common, map: entry)) { notifiers.append(notifier) }
            entry.finish()
        }
        config.routes = map["routes"]?.list()?.compactMap { RouteConfig.read($0) } ?? []
        config.digests = map["digests"]?.list()?.compactMap { DigestConfig.read($0) } ?? []
        if let server = map["server"]?.map() { config.server = ServerConfig.read(server) }
        map.finish()
        config.validate(root, notifiers: commons)
        return (config, notifiers)
    }

    /// Reads everything but the notifiers' kinds, whose keys are left unjudged: for tests and
    /// tools that look at rules, routes or digests alone.
    public static func read(_ root: ConfigNode) -> CrierConfig {
        read(root) { (entry: NotifierEntry) -> NotifierCommon? in
            entry.map.ignoreRemainingKeys()
            return entry.common
        }.config
    }

    /// Cross-field checks: names are unique and routes and digests name existing notifiers.
    /// Messages name each entry by its place in the file, whatever was dropped before it.
    func validate(_ root: ConfigNode, notifiers: [NotifierCommon]) {
        var names: Set<String> = []
        for notifier in notifiers where !names.insert(notifier.name).inserted {
            root.diagnostics.error("\(notifier.path).name", "'\(notifier.name)' is used by two notifiers", line: notifier.line)
        }
        let known = names.isEmpty ? "" : " (notifiers: \(names.sorted().joined(separator: ", ")))"
        for route in routes {
            for name in route.notifiers where !names.contains(name) {
                root.diagnostics.error("\(route.path).notifiers", "no notifier is named '\(name)'" + known, line: route.line)
            }
        }
        var digestNames: Set<String> = []
        for digest in digests {
            for name in digest.notifiers where !names.contains(name) {
                root.diagnostics.error("\(digest.path).notifiers", "no notifier is named '\(name)'" + known, line: digest.line)
            }
            if !digestNames.insert(digest.name).inserted {
                root.diagnostics.error("\(digest.path).name", "'\(digest.name)' is used by two digests", line: digest.line)
            }
        }
    }
}

extension CrierConfig.Defaults {
    static func read(_ map: ConfigMap) -> CrierConfig.Defaults {
        var d = CrierConfig.Defaults()
        d.timing.groupWait = map.duration("group_wait") ?? d.timing.groupWait
        d.timing.groupInterval = map.duration("group_interval", allowZero: false) ?? d.timing.groupInterval
        d.timing.repeatInterval = map.duration("repeat_interval", allowZero: false) ?? d.timing.repeatInterval
        d.maxLineBytes = map["max_line_bytes"]?.byteSize() ?? d.maxLineBytes
        d.maxSamples = map["max_samples"]?.int(min: 1, max: 50) ?? d.maxSamples
        map.finish()
        return d
    }
}
