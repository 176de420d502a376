public import CrierCore
public import CrierNotifiers
public import Foundation

/// Everything a pipeline needs, built from config: compiled rules, renderers, routes.
public struct LoadedConfig: Sendable {
    public var config: ResolvedConfig
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
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ConfigError([ConfigIssue(file: path, line: nil, path: "", message: "is a directory; give the config file")])
            }
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
        let (config, notifiers) = CrierConfig.read(root, notifiers: NotifierCatalog.read)
        return try assemble(config, notifiers: notifiers, origin: origin, diagnostics: diagnostics)
    }

    /// All shipped packs, notifiers from the environment, the console when none is set.
    public func loadEmbeddedDefault() throws(ConfigError) -> LoadedConfig {
        let diagnostics = ConfigDiagnostics(file: ConfigLoader.embeddedOrigin)
        let config = EmbeddedDefault.config(environment: environment)
        return try assemble(config.core, notifiers: config.notifiers, origin: ConfigLoader.embeddedOrigin,
                            diagnostics: diagnostics)
    }

    /// Packs and inline rules compiled together; notifiers and routes built. Every problem
    /// found on the way is reported together, in the order of the files and lines.
    public func assemble(_ core: CrierConfig, notifiers: [NotifierConfig] = [], origin: String,
                         diagnostics: ConfigDiagnostics) throws(ConfigError) -> LoadedConfig
    {
        var config = ResolvedConfig(core: core, notifiers: notifiers)
        let packs = catalog.load(config.packs, diagnostics: diagnostics)
        let rules = RuleSet.compile(packs.flatMap(\.rules) + config.rules, defaults: config.defaults.timing,
                                    diagnostics: diagnostics)
        // Calendar zones are checked here: the core has no time zone database.
        for rule in rules.rules {
            if let zone = rule.schedule?.zone, !ZoneOffsets.isKnown(zone) {
                diagnostics.issues(at: rule.definition.location(of: "by"), "rule '\(rule.id)': unknown time zone '\(zone)' "
                                   + "(use a name such as Europe/Paris or UTC)")
            }
        }
        for (i, digest) in config.digests.enumerated() {
            if let zone = digest.schedule?.zone, !ZoneOffsets.isKnown(zone) {
                diagnostics.error("digests[\(i)].schedule", "unknown time zone '\(zone)' (use a name such as Europe/Paris or UTC)",
                                  line: digest.line)
            }
        }
        if config.notifiers.isEmpty { config.notifiers = [.console(ConsoleConfig())] }
        let router = Router(routes: config.routes, notifiers: config.notifiers.map(\.name), diagnostics: diagnostics)
        let issues = diagnostics.inDocumentOrder
        if diagnostics.hasErrors { throw ConfigError(issues) }
        return LoadedConfig(config: config, origin: origin, packs: packs, rules: rules,
                            renderers: config.notifiers.map(Renderers.make), router: router,
                            warnings: issues.filter { $0.level == .warning })
    }
}
