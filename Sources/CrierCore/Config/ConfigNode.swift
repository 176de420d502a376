import Yams

/// A typed, path-aware view of a YAML node that reports problems instead of throwing.
///
/// Config structs read themselves from these (`init(from: ConfigMap)`), so each issue carries
/// its key path and line, every issue is collected, and unknown keys are reported by
/// `ConfigMap.finish()`. Codable would stop at the first error and knows no line numbers.
public struct ConfigNode {
    let node: Node
    public let path: String
    public let diagnostics: ConfigDiagnostics
    /// Expand `${VAR}` and `${VAR:-default}` in scalars (main config yes, pack files no).
    public let expandsEnvironment: Bool
    let environment: [String: String]
    /// Reads files named in config (`*_file` secrets). Reading is the loader's business:
    /// Core only asks.
    public let readFile: @Sendable (String) -> String?

    init(node: Node, path: String, diagnostics: ConfigDiagnostics, expandsEnvironment: Bool,
                environment: [String: String], readFile: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.node = node
        self.path = path
        self.diagnostics = diagnostics
        self.expandsEnvironment = expandsEnvironment
        self.environment = environment
        self.readFile = readFile
    }

    /// 1-based line of the node in its file.
    public var line: Int? { node.mark.map { $0.line } }

    public func error(_ message: String) { diagnostics.error(path, message, line: line) }
    public func warning(_ message: String) { diagnostics.warning(path, message, line: line) }

    func child(_ node: Node, path: String) -> ConfigNode {
        ConfigNode(node: node, path: path, diagnostics: diagnostics, expandsEnvironment: expandsEnvironment,
                   environment: environment, readFile: readFile)
    }

    /// `~`, `null` or an empty plain value: treated as absent, so the default applies.
    public var isNull: Bool { node.null != nil }

    /// The scalar as text, with environment expansion; nil (and an issue) for lists and maps.
    public func string() -> String? {
        guard case .scalar(let scalar) = node else {
            error("expected a text value, found \(kindName)")
            return nil
        }
        return expandsEnvironment ? expand(scalar.string) : scalar.string
    }

    public func int(min: Int? = nil, max: Int? = nil) -> Int? {
        guard let s = string() else { return nil }
        guard let value = Int(s.replacingUnderscores) else {
            error("expected a whole number, found '\(s)'")
            return nil
        }
        if let min, value < min { error("must be at least \(min), found \(value)"); return nil }
        if let max, value > max { error("must be at most \(max), found \(value)"); return nil }
        return value
    }

    public func double(min: Double? = nil) -> Double? {
        guard let s = string() else { return nil }
        guard let value = Double(s), value.isFinite else {
            error("expected a number, found '\(s)'")
            return nil
        }
        if let min, value < min { error("must be at least \(min), found \(value)"); return nil }
        return value
    }

    public func bool() -> Bool? {
        guard let s = string() else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error("expected true or false, found '\(s)'")
            return nil
        }
    }

    /// `10s`, `5m`, `1h30m`, `500ms`, `2d`, `1w`. A bare number is refused: seconds or minutes?
    public func duration(allowZero: Bool = true) -> Duration? {
        guard let s = string() else { return nil }
        switch DurationParser.parse(s) {
        case .success(let d):
            if !allowZero && d <= .zero {
                error("must be longer than zero")
                return nil
            }
            return d
        case .failure(let message):
            error(message)
            return nil
        }
    }

    /// Byte sizes: `1MiB`, `512KiB`, `1048576`.
    public func byteSize() -> Int? {
        guard let s = string() else { return nil }
        if let n = ByteSizeParser.parse(s) { return n }
        error("expected a size such as 1MiB, 512KiB or a number of bytes, found '\(s)'")
        return nil
    }

    public func oneOf<T: RawRepresentable>(_ type: T.Type) -> T? where T: CaseIterable, T.RawValue == String {
        ConfigKeyLog.active?.noteChoices(T.allCases.map(\.rawValue), at: path)
        guard let s = string() else { return nil }
        if let v = T(rawValue: s) { return v }
        error("expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), found '\(s)'")
        return nil
    }

    /// A list; a single scalar is accepted as a one-element list when `acceptsScalar`.
    public func list(acceptsScalar: Bool = false) -> [ConfigNode]? {
        switch node {
        case .sequence(let seq):
            return seq.enumerated().map { child($0.element, path: "\(path)[\($0.offset)]") }
        case .scalar where acceptsScalar:
            return [self]
        default:
            error("expected a list, found \(kindName)")
            return nil
        }
    }

    public func stringList(acceptsScalar: Bool = true) -> [String]? {
        list(acceptsScalar: acceptsScalar)?.compactMap { $0.string() }
    }

    public func map() -> ConfigMap? {
        guard case .mapping = node else {
            error("expected a mapping of keys to values, found \(kindName)")
            return nil
        }
        return ConfigMap(self)
    }

    var kindName: String {
        switch node {
        case .scalar(let s): return "the value '\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// `${VAR}`, `${VAR:-default}`; `$$` is a literal `$`. An unset variable without a
    /// default is an issue naming both the key and the variable.
    func expand(_ text: String) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "$", next < text.endIndex, text[next] == "$" {
                out.append("$")
                i = text.index(after: next)
            } else if c == "$", next < text.endIndex, text[next] == "{",
                      let close = text[next...].firstIndex(of: "}") {
                let inner = text[text.index(after: next)..<close]
                let name: Substring
                var fallback: Substring?
                if let r = inner.firstRange(of: ":-") {
                    name = inner[..<r.lowerBound]
                    fallback = inner[r.upperBound...]
                } else {
                    name = inner
                }
                if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                    out += value
                } else if let fallback {
                    out += fallback
                } else {
                    error("environment variable \(name) is not set (use ${\(name):-default} for a fallback)")
                }
                i = text.index(after: close)
            } else {
                out.append(c)
                i = next
            }
        }
        return out
    }
}

/// A YAML mapping being read key by key; `finish()` reports every key nobody asked for.
public final class ConfigMap {
    public let node: ConfigNode
    private var entries: [(key: String, node: Node, keyLine: Int?)] = []
    private var consumed: Set<String> = []

    init(_ node: ConfigNode) {
        self.node = node
        guard case .mapping(let mapping) = node.node else { return }
        var seen: Set<String> = []
        for (k, v) in mapping {
            let key = k.string ?? "?"
            if !seen.insert(key).inserted {
                node.diagnostics.error(node.path.isEmpty ? key : "\(node.path).\(key)", "key is given twice",
                                       line: k.mark?.line)
            }
            entries.append((key, v, k.mark?.line))
        }
    }

    public var path: String { node.path }
    public var keys: [String] { entries.map(\.key) }

    func childPath(_ key: String) -> String { node.path.isEmpty ? key : "\(node.path).\(key)" }

    /// The value at `key`, or nil when absent or null. Marks the key as known.
    public subscript(key: String) -> ConfigNode? {
        consumed.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        let child = node.child(entry.node, path: childPath(key))
        return child.isNull ? nil : child
    }

    public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    public func string(_ key: String) -> String? { self[key]?.string() }
    public func bool(_ key: String) -> Bool? { self[key]?.bool() }
    public func duration(_ key: String, allowZero: Bool = true) -> Duration? {
        self[key]?.duration(allowZero: allowZero)
    }

    /// Reports a missing required key at this mapping's line.
    public func require(_ key: String) -> ConfigNode? {
        if let value = self[key] { return value }
        node.diagnostics.error(childPath(key), "is required", line: node.line)
        return nil
    }

    /// Every entry, in file order, for free-form maps (fields, labels, headers).
    public func pairs() -> [(key: String, value: ConfigNode)] {
        ConfigKeyLog.active?.noteFreeForm(at: path)
        return entries.map { entry in
            consumed.insert(entry.key)
            return (entry.key, node.child(entry.node, path: childPath(entry.key)))
        }
    }

    /// Reports keys that were never read, with the closest known key as a hint.
    public func finish(known extra: [String] = []) {
        let known = consumed.union(extra)
        ConfigKeyLog.active?.noteKeys(known, at: path)
        for entry in entries where !known.contains(entry.key) {
            var message = "unknown key"
            if let hint = ConfigMap.closest(to: entry.key, in: Array(known)) { message += " (did you mean '\(hint)'?)" }
            node.diagnostics.error(childPath(entry.key), message, line: entry.keyLine)
        }
    }

    static func closest(to key: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= max(2, key.count / 3) }
        return scored.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1,
                                       previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Parses a YAML document into a `ConfigNode`, reporting a syntax error as an issue.
public enum YAMLDocument {
    public static func parse(_ text: String, diagnostics: ConfigDiagnostics, expandsEnvironment: Bool,
                             environment: [String: String],
                             readFile: @escaping @Sendable (String) -> String? = { _ in nil }) -> ConfigNode? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                diagnostics.error("", "the file is empty")
                return nil
            }
            return ConfigNode(node: node, path: "", diagnostics: diagnostics, expandsEnvironment: expandsEnvironment,
                              environment: environment, readFile: readFile)
        } catch let error as YamlError {
            diagnostics.error("", "invalid YAML: \(YAMLDocument.describe(error))", line: YAMLDocument.line(of: error))
            return nil
        } catch {
            diagnostics.error("", "invalid YAML: \(error)")
            return nil
        }
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .duplicatedKeysInMapping(_, let context):
            return context.mark.line
        default:
            return nil
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            if let context { return "\(problem) (\(context.text))" }
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "key given twice: \(duplicates.joined(separator: ", "))"
        default:
            return "\(error)"
        }
    }
}

extension String {
    var replacingUnderscores: String { filter { $0 != "_" } }
}
