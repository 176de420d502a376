/// The systemd journal as an input.
public struct JournalSourceConfig: Sendable {
    public enum Start: String, Sendable, CaseIterable { case resume, tail, head }
    /// Only these units (`_SYSTEMD_UNIT`). Default: all.
    public var units: [String] = []
    /// Extra `FIELD=value` matches, ANDed with the unit list.
    public var match: [(String, String)] = []
    /// A journal directory. Default: the system journal.
    public var directory: String?
    /// Default `resume`: continue at the checkpoint, or at the tail on the first run.
    public var start = Start.resume
    /// Entries older than this after a restart update state but do not alert. Default 10m:
    /// a restart should not flood a channel with an hour of history.
    public var maxAge: Duration = .seconds(600)

    public init() {}
}
