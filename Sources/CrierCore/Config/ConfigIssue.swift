/// One problem found in a config or pack file. Validation collects every issue rather than
/// stopping at the first, so a user fixes a file in one pass (DESIGN §6.2).
public struct ConfigIssue: Hashable, Sendable, CustomStringConvertible, Error {
    public enum Level: String, Sendable { case error, warning }

    public var level: Level
    /// The file, or a name like `<embedded default>`.
    public var file: String?
    /// 1-based line in `file`, when the YAML parser knows it.
    public var line: Int?
    /// The key path, e.g. `rules[2].regex` or `notifiers[0].webhook_url`.
    public var path: String
    public var message: String

    public init(_ level: Level = .error, file: String?, line: Int?, path: String, message: String) {
        self.level = level
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        var location = file ?? ""
        if let line { location += location.isEmpty ? "line \(line)" : ":\(line)" }
        let prefix = level == .warning ? "warning: " : ""
        let place = [location, path].filter { !$0.isEmpty }.joined(separator: ": ")
        return place.isEmpty ? "\(prefix)\(message)" : "\(prefix)\(place): \(message)"
    }
}

/// Collects issues while config is read. A class so that nested readers share it.
public final class ConfigDiagnostics {
    public private(set) var issues: [ConfigIssue] = []
    /// The file being read, stamped on every issue.
    public var file: String?

    public init(file: String? = nil) { self.file = file }

    public func error(_ path: String, _ message: String, line: Int? = nil) {
        issues.append(ConfigIssue(.error, file: file, line: line, path: path, message: message))
    }

    public func warning(_ path: String, _ message: String, line: Int? = nil) {
        issues.append(ConfigIssue(.warning, file: file, line: line, path: path, message: message))
    }

    public func append(_ other: [ConfigIssue]) { issues += other }

    public var errors: [ConfigIssue] { issues.filter { $0.level == .error } }
    public var hasErrors: Bool { issues.contains { $0.level == .error } }
}

/// Thrown when loading cannot produce a usable config; carries every issue found.
public struct ConfigError: Error, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(_ issues: [ConfigIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
