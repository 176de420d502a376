/// How bad an alert is. The order matters: routes and mentions compare severities.
public enum Severity: String, CaseIterable, Comparable, Sendable, Codable {
    case info, warning, error, critical

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .error: 2
        case .critical: 3
        }
    }
}
