import Yams


/// A `where` selector: a record field must equal one of the values, or match a `/regex/`.
public struct SelectorDefinition: Hashable, Sendable {
    public enum Test: Hashable, Sendable {
        case equals([String])
        case regex(String)
    }

    public var field: String
    public var test: Test
    public var location: SourceLocation
    /// The value as written, to point at a character of a `/regex/`.
    public var value: ValueLocation?
}

/// How lines following a matched record are folded into it.
public enum MultilineMode: String, Sendable, CaseIterable {
    /// Attach the Python traceback that follows (one line per traceback line).
    case traceback
}

/// A regex plus optional selectors, as used by `start`, `end` and `expect`.
public struct MatcherDefinition: Hashable, Sendable {
    public var regex: String?
    public var selectors: [SelectorDefinition]
    public var location: SourceLocation
    /// The regex as written (`start: '…'` or `start: {regex: '…'}`), for compile errors.
    public var regexValue: ValueLocation?
}

/// Per-rule overrides of the group timing in `defaults`.
public struct GroupTimingOverride: Hashable, Sendable {
    public var groupWait: Duration?
    public var groupInterval: Duration?
    public var repeatInterval: Duration?

    public init(groupWait: Duration? = nil, groupInterval: Duration? = nil, repeatInterval: Duration? = nil) {
        self.groupWait = groupWait
        self.groupInterval = groupInterval
        self.repeatInterval = repeatInterval
    }

    public func applied(to base: GroupTiming) -> GroupTiming {
        GroupTiming(groupWait: groupWait ?? base.groupWait, groupInterval: groupInterval ?? base.groupInterval,
                    repeatInterval: repeatInterval ?? base.repeatInterval)
    }
}

/// One rule as written in a pack file or the config's `rules:` (CONTRACT "Rules").
public struct RuleDefinition: Hashable, Sendable {
    /// The rule's own id; the full id is `pack.id`.
    public var id: String
    public var pack: String
    /// Default `warning`: worth a look, not a page.
    public var severity: Severity
    public var description: String?
    public var selectors: [SelectorDefinition]
    public var regex: String?
    /// Match the regex without regard to case (PCRE2 caseless).
    public var ignoreCase: Bool
    /// Dedup key: capture or field names (default: the rule alone, one group).
    public var groupBy: [String]
    /// A group name shared by several rules of the pack, so that their alerts with equal
    /// `group_by` values fold into one message (e.g. every sshd failure shape from one IP).
    /// Default: the rule's own id.
    public var group: String?
    /// Mustache; default: the rule id.
    public var title: String?
    /// Mustache; default: the record's message.
    public var body: String?
    public var fields: [(name: String, template: String)]
    public var link: String?
    /// Fixed labels added to every alert of the rule, for routing.
    public var labels: [(name: String, value: String)]
    public var multiline: MultilineMode?
    public var timing: GroupTimingOverride
    public var enabled: Bool

    // Correlation (stuck tasks): `start`, `end`, `key`, `timeout`, `resolve`.
    public var start: MatcherDefinition?
    public var end: MatcherDefinition?
    public var key: String?
    public var timeout: Duration?
    public var resolve: Bool
    /// What a key is waiting in while open, for messages: "stuck in queued". Default: the
    /// rule id.
    public var state: String?
    /// Open keys kept at most (default 10,000); starts beyond are counted and reported.
    public var maxOpen: Int?
    // Absence: `expect` with `every` or a calendar `by`.
    public var expect: MatcherDefinition?
    public var every: Duration?
    public var by: String?

    public var location: SourceLocation
    /// Each key's value as written (`regex`, `title`, `fields.Task ID`, `start.regex`…), so a
    /// problem found when compiling points at that key, not at the rule's `- id:` line.
    public var values: [String: ValueLocation] = [:]

    public var fullID: String { "\(pack).\(id)" }

    /// Where `key` (a path inside the rule) was written; the rule's line when it was not.
    public func location(of key: String) -> SourceLocation {
        if let value = values[key] { return value.location }
        return SourceLocation(file: location.file, line: location.line,
                              path: location.path.isEmpty ? key : "\(location.path).\(key)")
    }

    public static func == (a: RuleDefinition, b: RuleDefinition) -> Bool {
        a.fullID == b.fullID && a.location == b.location
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fullID)
        hasher.combine(location)
    }

    public enum Kind: Sendable {
        case match, correlation, absence
    }

    public var kind: Kind {
        if start != nil || end != nil { return .correlation }
        if expect != nil { return .absence }
        return .match
    }
}

/// A pack file: `pack:`, optional `description:`, and its `rules:`.
public struct PackDefinition: Sendable {
    public var name: String
    public var description: String?
    public var rules: [RuleDefinition]
    /// Where it was read from: a path, or `<embedded>/name.yaml`.
    public var file: String
}

extension RuleDefinition {
    /// Reads one rule; every problem goes to the map's diagnostics.
    public static func read(_ map: ConfigMap, pack: String) -> RuleDefinition? {
        let diagnostics = map.node.diagnostics
        let location = SourceLocation(file: diagnostics.file, line: map.node.line, path: map.path)
        let id = map.require("id")?.string() ?? ""
        if !id.isEmpty && !id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
            map["id"]?.error("use letters, digits, '_' and '-' only (the full id is '\(pack).\(id)')")
        }
        var rule = RuleDefinition(
            id: id, pack: pack, severity: map["severity"]?.oneOf(Severity.self) ?? .warning,
            description: map.string("description"),
            selectors: map["where"].map(readSelectors) ?? [],
            regex: map.string("regex"),
            ignoreCase: map.bool("ignore_case") ?? false,
            groupBy: map["group_by"]?.stringList() ?? [],
            group: map.string("group"),
            title: map.string("title"), body: map.string("body"),
            fields: map["fields"]?.map()?.pairs().compactMap { pair in pair.value.string().map { (pair.key, $0) } } ?? [],
            link: map.string("link"),
            labels: map["labels"]?.map()?.pairs().compactMap { pair in pair.value.string().map { (pair.key, $0) } } ?? [],
            multiline: map["multiline"]?.oneOf(MultilineMode.self),
            timing: GroupTimingOverride(groupWait: map.duration("group_wait"),
                                        groupInterval: map.duration("group_interval", allowZero: false),
                                        repeatInterval: map.duration("repeat_interval", allowZero: false)),
            enabled: map.bool("enabled") ?? true,
            start: map["start"].flatMap(readMatcher), end: map["end"].flatMap(readMatcher),
            key: map.string("key"), timeout: map.duration("timeout", allowZero: false),
            resolve: map.bool("resolve") ?? false,
            state: map.string("state"), maxOpen: map["max_open"]?.int(min: 1),
            expect: map["expect"].flatMap(readMatcher), every: map.duration("every", allowZero: false),
            by: map.string("by"),
            location: location)
        rule.values = map.node.valueLocations()
        map.finish()
        rule.validateShape(map)
        return rule
    }

    private mutating func validateShape(_ map: ConfigMap) {
        let diagnostics = map.node.diagnostics
        func error(_ key: String, _ message: String) {
            // At the key when it is there (a key that does not belong), else at the rule.
            diagnostics.error(map.childPath(key), message, line: values[key]?.location.line ?? map.node.line)
        }
        switch kind {
        case .match:
            if regex == nil && selectors.isEmpty {
                error("regex", "is required (or give `where:` selectors, `start`/`end`, or `expect`)")
            }
            if key != nil || timeout != nil { error("key", "`key` and `timeout` belong with `start` and `end`") }
            if every != nil || by != nil { error("every", "`every` and `by` belong with `expect`") }
        case .correlation:
            if regex != nil { error("regex", "a correlation rule matches with `start` and `end`, not `regex`") }
            if start == nil { error("start", "is required with `end`") }
            if end == nil { error("end", "is required with `start`") }
            if key == nil { error("key", "is required: the capture that links a start to its end") }
            if timeout == nil { error("timeout", "is required: how long a start may wait for its end") }
            if expect != nil { error("expect", "a rule is either a correlation (`start`/`end`) or an absence (`expect`)") }
            if every != nil || by != nil { error("every", "`every` and `by` belong with `expect`") }
        case .absence:
            if regex != nil { error("regex", "an absence rule matches with `expect`, not `regex`") }
            if every == nil && by == nil { error("every", "is required with `expect` (or a calendar `by`)") }
            if every != nil && by != nil { error("by", "give either `every` or `by`, not both") }
            if key != nil || timeout != nil { error("key", "`key` and `timeout` belong with `start` and `end`") }
            if let by, case .failure(let problem) = CalendarSchedule.parse(by) { error("by", problem.message) }
        }
        if multiline != nil && kind != .match { error("multiline", "only applies to rules with `regex`") }
        if (state != nil || maxOpen != nil) && kind != .correlation { error("state", "`state` and `max_open` belong with `start` and `end`") }
    }

    static func readSelectors(_ node: ConfigNode) -> [SelectorDefinition] {
        guard let map = node.map() else { return [] }
        return map.pairs().compactMap { key, value in
            let location = value.location
            if case .sequence = value.node {
                let strings = value.list()?.compactMap { $0.string() } ?? []
                return SelectorDefinition(field: key, test: .equals(strings), location: location)
            }
            guard let text = value.string() else { return nil }
            if isRegexLiteral(value) {
                return SelectorDefinition(field: key, test: .regex(String(text.dropFirst().dropLast())),
                                          location: location, value: value.valueLocation)
            }
            return SelectorDefinition(field: key, test: .equals([text]), location: location)
        }
    }

    /// `/…/` written as a scalar: a regex selector.
    static func isRegexLiteral(_ node: ConfigNode) -> Bool {
        guard case .scalar(let s) = node.node else { return false }
        return s.string.count >= 2 && s.string.hasPrefix("/") && s.string.hasSuffix("/")
    }

    static func readMatcher(_ node: ConfigNode) -> MatcherDefinition? {
        let location = node.location
        if case .scalar = node.node {
            return node.string().map { MatcherDefinition(regex: $0, selectors: [], location: location, regexValue: node.valueLocation) }
        }
        guard let map = node.map() else { return nil }
        let matcher = MatcherDefinition(regex: map.string("regex"), selectors: map["where"].map(readSelectors) ?? [],
                                        location: location, regexValue: map["regex"]?.valueLocation)
        map.finish()
        if matcher.regex == nil && matcher.selectors.isEmpty {
            node.error("needs `regex` or `where`")
        }
        return matcher
    }
}

extension PackDefinition {
    /// Parses a pack file. `fallbackName` is the directory or file name, used when `pack:` is absent.
    public static func parse(_ text: String, file: String, fallbackName: String, diagnostics: ConfigDiagnostics)
        -> PackDefinition?
    {
        let previousFile = diagnostics.file
        diagnostics.file = file
        defer { diagnostics.file = previousFile }
        // Pack files are shared and versioned: no environment expansion inside them.
        guard let root = YAMLDocument.parse(text, diagnostics: diagnostics, expandsEnvironment: false,
                                            environment: [:]),
              let map = root.map() else { return nil }
        let name = map.string("pack") ?? fallbackName
        if !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) || name.isEmpty {
            map["pack"]?.error("use letters, digits, '_' and '-' only")
        }
        let description = map.string("description")
        let rules = readRules(map["rules"], pack: name)
        map.finish(known: ["version"])
        return PackDefinition(name: name, description: description, rules: rules, file: file)
    }

    static func readRules(_ node: ConfigNode?, pack: String) -> [RuleDefinition] {
        guard let node else { return [] }
        // Duplicate ids are reported once, by RuleSet.compile, which sees every pack.
        return (node.list() ?? []).compactMap { item in item.map().flatMap { RuleDefinition.read($0, pack: pack) } }
    }
}
