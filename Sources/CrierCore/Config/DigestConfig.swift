/// A scheduled summary (`digests:`).
public struct DigestConfig: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Counts per rule and severity, the top groups, stuck and absent counts and delivery
        /// health since the last digest. Sent even when quiet: silence is news too.
        case summary
        /// The groups at `min_severity` or above seen in the window; nothing is sent when
        /// there were none. With `every: 30m`: "failures in the last 30 minutes".
        case failures
    }

    public var name: String
    public var kind = Kind.summary
    /// A calendar moment (`mon 09:00`, `09:00`, `weekdays 08:30 Europe/Paris`); or `every`.
    public var schedule: CalendarSchedule?
    public var every: Duration?
    /// Default: every notifier.
    public var notifiers: [String] = []
    /// Groups listed. Default 10.
    public var top = 10
    /// `failures`: the lowest severity listed. Default error.
    public var minSeverity = Severity.error
    /// Send when nothing happened. Default: true for `summary`, false for `failures`.
    public var sendEmpty: Bool?
    public var line: Int?
    /// `digests[i]` as written, for cross-checks reported after reading.
    public var path = ""

    public init(name: String) { self.name = name }

    public var sendsWhenEmpty: Bool { sendEmpty ?? (kind == .summary) }

    /// `mon 09:00` or `every 30m`, for messages.
    public var cadence: String { schedule.map { $0.text } ?? every.map { "every \(DurationParser.format($0))" } ?? "" }

    static func read(_ node: ConfigNode) -> DigestConfig? {
        guard let map = node.map() else { return nil }
        defer { map.finish() }
        var d = DigestConfig(name: map.require("name")?.string() ?? "")
        d.line = node.line
        d.path = node.path
        d.kind = map["kind"]?.oneOf(Kind.self) ?? .summary
        if let text = map.string("schedule") {
            switch CalendarSchedule.parse(text) {
            case .success(let s): d.schedule = s
            case .failure(let e): map["schedule"]?.error(e.message)
            }
        }
        d.every = map.duration("every", allowZero: false)
        if d.schedule == nil && d.every == nil && map["schedule"] == nil {
            map.node.diagnostics.error(map.childPath("schedule"), "is required: a time such as 'mon 09:00', or `every: 30m`",
                                       line: node.line)
        }
        if map["schedule"] != nil && d.every != nil {
            map["every"]?.error("give either `schedule` or `every`, not both")
        }
        d.notifiers = map["notifiers"]?.stringList() ?? []
        d.top = map["top"]?.int(min: 1, max: 50) ?? d.top
        d.minSeverity = map["min_severity"]?.oneOf(Severity.self) ?? d.minSeverity
        d.sendEmpty = map.bool("send_empty")
        return d
    }
}
