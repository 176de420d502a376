public import CrierCore
public import CrierNotifiers

/// The configuration file read whole: Core's part (`CrierConfig`) and each notifier read by
/// its kind. Core cannot name the kinds (they live in CrierNotifiers, which depends on
/// Core), so the loader joins the two here; the rest of the runtime reads both through
/// this one value.
public struct ResolvedConfig: Sendable {
    public var core: CrierConfig
    /// In file order; the console alone when none is configured.
    public var notifiers: [NotifierConfig]

    public init(core: CrierConfig = CrierConfig(), notifiers: [NotifierConfig] = []) {
        self.core = core
        self.notifiers = notifiers
    }

    public var stateDir: String? {
        get { core.stateDir }
        set { core.stateDir = newValue }
    }

    public var sources: [SourceConfig] {
        get { core.sources }
        set { core.sources = newValue }
    }

    public var packs: [String]? {
        get { core.packs }
        set { core.packs = newValue }
    }

    public var rules: [RuleDefinition] { core.rules }
    public var defaults: CrierConfig.Defaults { core.defaults }

    public var routes: [RouteConfig] {
        get { core.routes }
        set { core.routes = newValue }
    }

    public var digests: [DigestConfig] { core.digests }
    public var server: ServerConfig? { core.server }
}
