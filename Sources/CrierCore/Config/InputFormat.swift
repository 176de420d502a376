/// How input lines are read.
public enum InputFormat: String, Sendable, CaseIterable {
    /// Sniff: JSON objects, journal JSON, binary journal, or text.
    case auto
    case text
    case json
    case journalJSON = "journal-json"
    /// A binary journal file or directory.
    case journal
}
