/// One problem found in a config or pack file. Validation collects every issue rather than
/// stopping at the first, so a user fixes a file in one pass (DESIGN §6.2).
public struct ConfigIssue: Hashable, Sendable, CustomStringConvertible, Error {
    public enum Level: String, Sendable { case error, warning }

    public var level: Level
    /// The file, or a name like `<embedded default>`.
    public var file: String?
    /// 1-based line in `file`, when the YAML parser knows it.
    public var line: Int?
    /// 1-based column in `line`, when the issue points inside a value (a regex error's offset).
    public var column: Int?
    /// The key path, e.g. `rules[2].regex` or `notifiers[0].webhook_url`.
    public var path: String
    public var message: String

    public init(_ level: Level = .error, file: String?, line: Int?, column: Int? = nil, path: String, message: String) {
        self.level = level
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        var location = file ?? ""
        if let line { location += location.isEmpty ? "line \(line)" : ":\(line)" }
        if line != nil, let column { location += ":\(column)" }
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

    public func error(_ path: String, _ message: String, line: Int? = nil, column: Int? = nil) {
        issues.append(ConfigIssue(.error, file: file, line: line, column: column, path: path, message: message))
    }

    public func warning(_ path: String, _ message: String, line: Int? = nil) {
        issues.append(ConfigIssue(.warning, file: file, line: line, path: path, message: message))
    }

    public func append(_ other: [ConfigIssue]) { issues += other }

    public var errors: [ConfigIssue] { issues.filter { $0.level == .error } }
    public var hasErrors: Bool { issues.contains { $0.level == .error } }

    /// The issues as a reader fixes them: file by file (in the order files were first
    /// mentioned), top to bottom within a file, each at most once. Parts of a file are
    /// checked at different times (notifier kinds, compiled rules, cross-references), so the
    /// order found is not the order written.
    public var inDocumentOrder: [ConfigIssue] {
        var fileRank: [String: Int] = [:]
        for issue in issues where fileRank[issue.file ?? ""] == nil { fileRank[issue.file ?? ""] = fileRank.count }
        var seen: Set<ConfigIssue> = []
        let unique = issues.filter { seen.insert($0).inserted }
        return unique.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            let keyX = (fileRank[x.file ?? ""] ?? 0, x.line ?? 0, x.column ?? 0)
            let keyY = (fileRank[y.file ?? ""] ?? 0, y.line ?? 0, y.column ?? 0)
            return keyX != keyY ? keyX < keyY : a.offset < b.offset
        }.map(\.element)
    }
}

/// Thrown when loading cannot produce a usable config; carries every issue found.
public struct ConfigError: Error, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(_ issues: [ConfigIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
