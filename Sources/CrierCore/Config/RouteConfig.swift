/// Sends alerts that match to the named notifiers.
public struct RouteConfig: Sendable {
    /// `match.severity`: any of these. Default: every severity.
    public var severities: [Severity] = []
    /// `match.pack`: alerts of rules from these packs. Default: every pack.
    public var packs: [String] = []
    /// `match.rule`: full rule ids (`sshd.failed_password`). Default: every rule.
    public var rules: [String] = []
    /// `match.labels`: values or `/regex/` per label. Default: no condition.
    public var labels: [SelectorDefinition] = []
    /// Where matching alerts go; required (a route that sends nowhere is a mistake).
    public var notifiers: [String] = []
    /// Default false: the first matching route takes the alert.
    public var continues = false
    /// Where it was written, for cross-checks reported after reading.
    public var line: Int?
    /// `routes[i]` as written, for cross-checks reported after reading.
    public var path = ""

    public init() {}

    static func read(_ node: ConfigNode) -> RouteConfig? {
        guard let map = node.map() else { return nil }
        var route = RouteConfig()
        route.line = node.line
        route.path = node.path
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
