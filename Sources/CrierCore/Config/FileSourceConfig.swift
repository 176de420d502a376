/// Log files (globs) as an input.
public struct FileSourceConfig: Sendable {
    /// Paths or globs; files that appear later are picked up.
    public var paths: [String] = []
    public var format = InputFormat.auto
    /// JSON key holding the message. Default: the first of msg, message, MESSAGE, log.
    public var messageKey: String?
    /// Read existing content on first sight. Default false: a sidecar alerts on what happens
    /// from now on, not on a file's history.
    public var readFromHead = false
    /// Lines older than this (by their own timestamp) update state but do not alert.
    /// Default 10m, as for the journal: `read_from_head` on an old file must not flood.
    public var maxAge: Duration = .seconds(600)

    public init() {}
}
