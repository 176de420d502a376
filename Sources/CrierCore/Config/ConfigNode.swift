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
    /// The document's text, to point inside a value (`valueLocation`).
    let source: SourceText

    init(node: Node, path: String, diagnostics: ConfigDiagnostics, expandsEnvironment: Bool,
         environment: [String: String], source: SourceText = SourceText(""),
         readFile: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.node = node
        self.path = path
        self.diagnostics = diagnostics
        self.expandsEnvironment = expandsEnvironment
        self.environment = environment
        self.source = source
        self.readFile = readFile
    }

    /// 1-based line of the node in its file.
    public var line: Int? { node.mark.map { $0.line } }

    /// Where this node was written, for issues reported after reading (rule compilation).
    public var location: SourceLocation { SourceLocation(file: diagnostics.file, line: line, path: path) }

    /// Where this value was written; for a scalar, character by character.
    public var valueLocation: ValueLocation? {
        guard let mark = node.mark else { return nil }
        var style = ValueLocation.Style.plain
        if case .scalar(let scalar) = node {
            switch scalar.style {
            case .singleQuoted: style = .singleQuoted
            case .doubleQuoted: style = .doubleQuoted
            case .literal, .folded: style = .block
            default: style = .plain
            }
        }
        return ValueLocation(location: SourceLocation(file: diagnostics.file, line: mark.line, column: mark.column, path: path),
                             style: style, source: source.fromLine(mark.line))
    }

    public func error(_ message: String) { diagnostics.error(path, message, line: line) }
    public func warning(_ message: String) { diagnostics.warning(path, message, line: line) }

    /// Every value under this mapping, by its path relative to it (`regex`, `fields.Task ID`),
    /// without reading them: where things were written, for issues found later.
    func valueLocations() -> [String: ValueLocation] {
        guard case .mapping(let mapping) = node else { return [:] }
        var out: [String: ValueLocation] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            let child = child(value, path: path.isEmpty ? name : "\(path).\(name)")
            out[name] = child.valueLocation
            for (inner, location) in child.valueLocations() { out["\(name).\(inner)"] = location }
        }
        return out
    }

    func child(_ node: Node, path: String) -> ConfigNode {
        ConfigNode(node: node, path: path, diagnostics: diagnostics, expandsEnvironment: expandsEnvironment,
                   environment: environment, source: source, readFile: readFile)
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

extension String {
    var replacingUnderscores: String { filter { $0 != "_" } }
}
