public import CrierCore
public import CrierNotifiers
public import Foundation

/// Everything a pipeline needs, built from config: compiled rules, renderers, routes.
public struct LoadedConfig: Sendable {
    public var config: CrierConfig
    /// The file read, or `<embedded default>`.
    public var origin: String
    public var packs: [PackDefinition]
    public var rules: RuleSet
    public var renderers: [any BatchRenderer]
    public var router: Router
    /// Warnings worth showing (`crier check` prints them; errors never get this far).
    public var warnings: [ConfigIssue]
}

/// Finds, reads and validates the configuration (CONTRACT "Config lookup"), collecting every
/// problem of the config file and of every pack before giving up.
public struct ConfigLoader {
    public var environment: [String: String]
    public var catalog: PackCatalog
    public static let systemPath = "/etc/crier/crier.yaml"
    public static let embeddedOrigin = "<embedded default>"

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, catalog: PackCatalog? = nil) {
        self.environment = environment
        self.catalog = catalog ?? PackCatalog(overrideDirectory: environment["CRIER_PACKS_DIR"])
    }

    /// `--config`, else `$CRIER_CONFIG`, else /etc/crier/crier.yaml if it exists, else nil
    /// (the embedded default).
    public func resolvePath(_ explicit: String?) -> String? {
        if let explicit { return explicit }
        if let env = environment["CRIER_CONFIG"], !env.isEmpty { return env }
        if FileManager.default.fileExists(atPath: ConfigLoader.systemPath) { return ConfigLoader.systemPath }
        return nil
    }

    public func load(path explicit: String?) throws(ConfigError) -> LoadedConfig {
        if let path = resolvePath(explicit) {
            guard let data = FileManager.default.contents(atPath: path) else {
                let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permissions?)" : "does not exist"
                throw ConfigError([ConfigIssue(file: path, line: nil, path: "", message: "config file \(reason)")])
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigError([ConfigIssue(file: path, line: nil, path: "", message: "config file is not UTF-8 text")])
            }
            return try load(text: text, origin: path)
        }
        return try loadEmbeddedDefault()
    }

    /// Reads config text; `origin` names it in messages.
    public func load(text: String, origin: String) throws(ConfigError) -> LoadedConfig {
        let diagnostics = ConfigDiagnostics(file: origin)
        guard let root = YAMLDocument.parse(text, diagnostics: diagnostics, expandsEnvironment: true,
                                            environment: environment, readFile: { path in
                                                FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
                                            }) else {
            throw ConfigError(diagnostics.issues)
        }
        let config = CrierConfig.read(root)
        return try assemble(config, origin: origin, diagnostics: diagnostics)
    }

    /// All shipped packs, notifiers from the environment, the console when none is set.
    public func loadEmbeddedDefault() throws(ConfigError) -> LoadedConfig {
        let diagnostics = ConfigDiagnostics(file: ConfigLoader.embeddedOrigin)
        let config = EmbeddedDefault.config(environment: environment)
        return try assemble(config, origin: ConfigLoader.embeddedOrigin, diagnostics: diagnostics)
    }

    /// Packs and inline rules compiled together; notifiers and routes built.
    public func assemble(_ config: CrierConfig, origin: String, diagnostics: ConfigDiagnostics) throws(ConfigError)
        -> LoadedConfig
    {
        var config = config
        let packs = catalog.load(config.packs, diagnostics: diagnostics)
        let rules = RuleSet.compile(packs.flatMap(\.rules) + config.rules, defaults: config.defaults.timing,
                                    diagnostics: diagnostics)
        // Calendar zones are checked here: the core has no time zone database.
        for rule in rules.rules {
            if let zone = rule.schedule?.zone, !ZoneOffsets.isKnown(zone) {
                RuleSet.issue(diagnostics, rule.definition.location, "by", "rule '\(rule.id)': unknown time zone '\(zone)' "
                              + "(use a name such as Europe/Paris or UTC)")
            }
        }
        for (i, digest) in config.digests.enumerated() {
            if let zone = digest.schedule?.zone, !ZoneOffsets.isKnown(zone) {
                diagnostics.error("digests[\(i)].schedule", "unknown time zone '\(zone)' (use a name such as Europe/Paris or UTC)",
                                  line: digest.line)
            }
        }
        if config.notifiers.isEmpty { config.notifiers = [NotifierConfig(name: "console", kind: .console)] }
        let router = Router(routes: config.routes, notifiers: config.notifiers.map(\.name), diagnostics: diagnostics)
        if diagnostics.hasErrors { throw ConfigError(diagnostics.issues) }
        return LoadedConfig(config: config, origin: origin, packs: packs, rules: rules,
                            renderers: config.notifiers.map(Renderers.make), router: router,
                            warnings: diagnostics.issues.filter { $0.level == .warning })
    }
}

/// The configuration used when no file is given (CONTRACT "embedded default").
public enum EmbeddedDefault {
    static let securityPacks = ["sshd", "dropbear", "pam", "sudo", "audit"]

    public static func config(environment env: [String: String]) -> CrierConfig {
        var config = CrierConfig()
        config.sources = [.journal(JournalSourceConfig())]
        func value(_ key: String) -> String? {
            guard let v = env[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        func discord(_ name: String, _ key: String) -> NotifierConfig? {
            guard let url = value(key) else { return nil }
            var n = NotifierConfig(name: name, kind: .discord)
            n.webhookURL = Secret(url)
            return n
        }
        var catchAll: [NotifierConfig] = []
        if let n = discord("discord", "DISCORD_WEBHOOK_URL") { catchAll.append(n) }
        if let url = value("SLACK_WEBHOOK_URL") ?? value("SLACK_WEBHOOK") {
            var n = NotifierConfig(name: "slack", kind: .slack)
            n.webhookURL = Secret(url)
            n.channel = value("SLACK_CHANNEL")
            catchAll.append(n)
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
