/// An input of `crier run`.
public enum SourceConfig: Sendable {
    case journal(JournalSourceConfig)
    case file(FileSourceConfig)
    case stdin(format: InputFormat)

    static func read(_ node: ConfigNode) -> SourceConfig? {
        guard let map = node.map() else { return nil }
        defer { map.finish() }
        switch map.require("type")?.string() {
        case "journal":
            var c = JournalSourceConfig()
            c.units = map["units"]?.stringList() ?? []
            c.match = map["match"]?.map()?.pairs().compactMap { k, v in v.string().map { (k, $0) } } ?? []
            c.directory = map.string("directory")
            c.start = map["start"]?.oneOf(JournalSourceConfig.Start.self) ?? .resume
            c.maxAge = map.duration("max_age") ?? c.maxAge
            return .journal(c)
        case "file":
            var c = FileSourceConfig()
            c.paths = map.require("paths")?.stringList() ?? []
            if c.paths.isEmpty && map.has("paths") { map["paths"]?.error("needs at least one path or glob") }
            c.format = map["format"]?.oneOf(InputFormat.self) ?? .auto
            c.messageKey = map.string("message_key")
            c.readFromHead = map.bool("read_from_head") ?? false
            c.maxAge = map.duration("max_age") ?? c.maxAge
            return .file(c)
        case "stdin":
            return .stdin(format: map["format"]?.oneOf(InputFormat.self) ?? .auto)
        case let other?:
            map["type"]?.error("unknown source type '\(other)' (journal, file or stdin)")
            // Which keys belong depends on the type: one error for the root cause.
            map.ignoreRemainingKeys()
            return nil
        case nil:
            map.ignoreRemainingKeys()
            return nil
        }
    }
}
