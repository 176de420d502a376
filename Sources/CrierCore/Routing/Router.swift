/// Chooses the notifiers of a batch: routes in order, first match wins unless the route
/// says `continue: true`. With no routes, every batch goes to every notifier.
public struct Router: Sendable {
    struct Route: Sendable {
        var severities: Set<Severity>
        var packs: Set<String>
        var rules: Set<String>
        var labels: [(name: String, test: SelectorDefinition.Test, regex: Regex?)]
        var notifiers: [String]
        var continues: Bool
    }

    private let routes: [Route]
    private let allNotifiers: [String]

    /// Regex errors in label selectors are reported through `diagnostics`.
    public init(routes: [RouteConfig], notifiers: [String], diagnostics: ConfigDiagnostics) {
        allNotifiers = notifiers
        self.routes = routes.map { config in
            Route(severities: Set(config.severities), packs: Set(config.packs), rules: Set(config.rules),
                  labels: config.labels.map { selector in
                      var regex: Regex?
                      if case .regex(let pattern) = selector.test {
                          do { regex = try Regex(pattern) } catch {
                              diagnostics.issues(at: selector.location, "/\(pattern)/: \(error)")
                          }
                      }
                      return (selector.field, selector.test, regex)
                  },
                  notifiers: config.notifiers, continues: config.continues)
        }
    }

    /// Notifier names for a batch, in route order, without duplicates.
    public func notifiers(rule: String, severity: Severity, labels: [Label]) -> [String] {
        if routes.isEmpty { return allNotifiers }
        let pack = String(rule.prefix { $0 != "." })
        var chosen: [String] = []
        for route in routes where route.matches(rule: rule, pack: pack, severity: severity, labels: labels) {
            for name in route.notifiers where !chosen.contains(name) { chosen.append(name) }
            if !route.continues { break }
        }
        return chosen
    }
}

extension Router.Route {
    func matches(rule: String, pack: String, severity: Severity, labels: [Label]) -> Bool {
        if !severities.isEmpty && !severities.contains(severity) { return false }
        if !packs.isEmpty && !packs.contains(pack) { return false }
        if !rules.isEmpty && !rules.contains(rule) { return false }
        for selector in self.labels {
            guard let value = labels.first(where: { $0.name == selector.name })?.value else { return false }
            switch selector.test {
            case .equals(let values):
                if !values.contains(value) { return false }
            case .regex:
                // Routing runs once per batch, not per line: a fresh matcher is cheap enough.
                guard let regex = selector.regex else { return false }
                let matcher = RegexMatcher(regex, scratch: RegexScratch())
                var v = value
                let matched = v.withUTF8 { matcher.match(UnsafeRawBufferPointer($0)) == .match }
                if !matched { return false }
            }
        }
        return true
    }
}
