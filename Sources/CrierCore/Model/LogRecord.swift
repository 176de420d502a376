/// Where a record came from, precise enough to resume after it (DESIGN §1).
public enum RecordPosition: Hashable, Sendable, Codable {
    /// 1-based line (or journal entry index) in a replayed input.
    case replay(line: Int)
    /// A tailed file: inode and the byte offset just past the record.
    case file(inode: UInt64, offset: UInt64)
    /// A journal cursor.
    case journal(cursor: String)

    /// Stored with alerts (`StateSchema`): renaming a case or label must not change these.
    enum CodingKeys: String, CodingKey { case replay, file, journal }
    enum ReplayCodingKeys: String, CodingKey { case line }
    enum FileCodingKeys: String, CodingKey { case inode, offset }
    enum JournalCodingKeys: String, CodingKey { case cursor }
}

/// How the record was written, which decides where `host`, `ident` and the rest come from.
public enum RecordFormat: String, Sendable, Codable, CaseIterable {
    /// Plain text or syslog lines.
    case text
    /// JSON lines (any object).
    case json
    /// Journal entries (`journalctl -o json` lines or the binary journal).
    case journal
}

/// Facts about damage done to a record on the way in. Nothing is dropped; it is flagged.
public struct RecordFlags: OptionSet, Hashable, Sendable, Codable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bytes that were not UTF-8 were replaced by U+FFFD.
    public static let invalidUTF8 = RecordFlags(rawValue: 1 << 0)
    /// The line was longer than `max_line_bytes` and was cut.
    public static let truncated = RecordFlags(rawValue: 1 << 1)
    /// The line looked like JSON but did not parse; it was matched as plain text.
    public static let malformedJSON = RecordFlags(rawValue: 1 << 2)
    /// A folded traceback was longer than the limit; its middle was dropped.
    public static let tracebackCut = RecordFlags(rawValue: 1 << 3)
}

/// One field of a record: a JSON key (flattened `a.b`) or a journal field.
public struct RecordField: Hashable, Sendable, Codable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A log record that owns its text: what a matched record becomes once it leaves the
/// hot path (samples, pending traceback owners, `--matches` output).
public struct LogRecord: Hashable, Sendable, Codable {
    /// The input it came from: a path, `journal` or `stdin`.
    public var source: String
    public var position: RecordPosition
    /// Record time, if the record carried one (replay fills the gap with the previous record's).
    public var timestamp: Timestamp?
    public var format: RecordFormat
    /// The text rules match: after the syslog prefix, the JSON message key, or MESSAGE.
    public var message: String
    public var host: String?
    public var ident: String?
    public var pid: String?
    /// Every JSON key (flattened) or journal field, in input order.
    public var fields: [RecordField]
    /// A Python traceback attached to this record (folded from following lines, a JSON
    /// `exc_info`, or split off a multi-line message).
    public var traceback: Traceback?
    public var flags: RecordFlags
    /// Occurrences this record stands for (rsyslog's "message repeated N times").
    public var repeats = 1

    public init(source: String, position: RecordPosition, timestamp: Timestamp?, format: RecordFormat,
                message: String, host: String? = nil, ident: String? = nil, pid: String? = nil,
                fields: [RecordField] = [], traceback: Traceback? = nil, flags: RecordFlags = []) {
        self.source = source
        self.position = position
        self.timestamp = timestamp
        self.format = format
        self.message = message
        self.host = host
        self.ident = ident
        self.pid = pid
        self.fields = fields
        self.traceback = traceback
        self.flags = flags
    }

    /// The 1-based input line for replayed records.
    public var line: Int? {
        if case .replay(let line) = position { return line }
        return nil
    }

    public func field(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }
}
