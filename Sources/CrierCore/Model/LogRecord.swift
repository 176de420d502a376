/// Where a record came from: its 1-based line (or journal entry index) in what was read,
/// a replayed input or a chunk a live source delivered.
///
/// Only the line: nothing reads a record's file offset or journal cursor. A live source
/// resumes from its `SourceCheckpoint`, taken once per chunk, and building one per record
/// would cost the hot path for no reader. An enum, so that its JSON (saved with held
/// records and alert samples) keeps its shape, `{"replay":{"line":N}}`.
public enum RecordPosition: Hashable, Sendable, Codable {
    case replay(line: Int)

    /// Stored with alerts (`StateSchema`): renaming a case or label must not change these.
    enum CodingKeys: String, CodingKey { case replay }
    enum ReplayCodingKeys: String, CodingKey { case line }
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
        switch position {
        case .replay(let line): line
        }
    }

    public func field(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }
}

extension LogRecord {
    /// The owned record of a borrowed view, for when it leaves the hot path. Bytes that are
    /// not UTF-8 are replaced and the record flagged.
    public init(_ view: RecordView, source: String, traceback: Traceback? = nil) {
        var flags = view.flags
        let (message, valid) = view.message.decodedString()
        if !valid { flags.insert(.invalidUTF8) }
        func part(_ bytes: UnsafeRawBufferPointer) -> String? {
            bytes.isEmpty ? nil : bytes.lossyString
        }
        var fields: [RecordField] = []
        fields.reserveCapacity(view.fields.count)
        for entry in view.fields {
            let (value, ok) = entry.value.decodedString()
            if !ok { flags.insert(.invalidUTF8) }
            fields.append(RecordField(entry.key.lossyString, value))
        }
        self.init(source: source, position: .replay(line: view.line), timestamp: view.timestamp, format: view.format,
                  message: message, host: part(view.host), ident: part(view.ident), pid: part(view.pid), fields: fields,
                  traceback: traceback, flags: flags)
        repeats = view.repeats
    }

    /// A view of the message alone (no syslog parts, no fields), for a record built off the
    /// hot path: a folded traceback matched or listed as a record of its own.
    public func withMessageView<R>(_ body: (RecordView) throws -> R) rethrows -> R {
        var message = self.message
        return try message.withUTF8 { bytes in
            var view = RecordView(line: line ?? 0, format: format, timestamp: timestamp, message: UnsafeRawBufferPointer(bytes))
            view.flags = flags
            return try body(view)
        }
    }
}
