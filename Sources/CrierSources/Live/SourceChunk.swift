public import CrierCore

/// Records read by a follower thread, owned (copied out of the reader's buffers) so they
/// can cross into the pipeline task. One chunk is one commit: the pipeline writes its
/// checkpoint together with everything its records caused (DESIGN §1).
public struct SourceChunk: Sendable {
    /// Stable name of the source: `journal`, `journal:/dir`, `file:/var/log/app.log`, `stdin`.
    public var source: String
    public var payload: Payload
    /// Where to resume after this chunk; nil for sources that cannot resume (stdin).
    public var checkpoint: SourceCheckpoint?
    /// Records older than this (by their own time) update state but do not alert.
    public var maxAge: Duration?

    public enum Payload: Sendable {
        case lines(LineBatch)
        case entries(EntryBatch)
    }

    public var count: Int {
        switch payload {
        case .lines(let b): b.lines.count
        case .entries(let b): b.entries.count
        }
    }
}

/// Lines of one file, back to back, followed by padding for simdjson.
public struct LineBatch: Sendable {
    public struct Span: Sendable {
        public var start: Int
        public var length: Int
        public var truncated: Bool
    }

    public var bytes: [UInt8] = []
    public var lines: [Span] = []
    public var format: InputFormat
    public var messageKey: String?
    /// Line number of the first line in its file, as far as this run has counted.
    public var firstLine: Int

    public init(format: InputFormat, messageKey: String?, firstLine: Int) {
        self.format = format
        self.messageKey = messageKey
        self.firstLine = firstLine
    }

    public mutating func append(_ line: UnsafeRawBufferPointer, truncated: Bool) {
        lines.append(Span(start: bytes.count, length: line.count, truncated: truncated))
        bytes.append(contentsOf: line)
    }

    /// Called once before the chunk is sent: simdjson reads past the end of the last line.
    public mutating func seal() {
        bytes.append(contentsOf: repeatElement(0, count: LineBuffer.padding))
    }
}

/// Journal entries: every field as `KEY` and value bytes.
public struct EntryBatch: Sendable {
    public struct Field: Sendable {
        public var keyStart: Int
        public var keyLength: Int
        public var valueStart: Int
        public var valueLength: Int
    }

    public struct Entry: Sendable {
        public var firstField: Int
        public var fieldCount: Int
        /// The entry's realtime stamp (`_SOURCE_REALTIME_TIMESTAMP` among the fields wins).
        public var timestamp: Int64
    }

    public var bytes: [UInt8] = []
    public var fields: [Field] = []
    public var entries: [Entry] = []

    public init() {}

    /// Copies a journal entry's view (fields point into sd-journal's mapped files).
    public mutating func append(_ view: RecordView) {
        let first = fields.count
        for field in view.fields {
            let keyStart = bytes.count
            bytes.append(contentsOf: field.key)
            let valueStart = bytes.count
            bytes.append(contentsOf: field.value)
            fields.append(Field(keyStart: keyStart, keyLength: field.key.count, valueStart: valueStart,
                                valueLength: field.value.count))
        }
        entries.append(Entry(firstField: first, fieldCount: fields.count - first,
                             timestamp: view.timestamp?.microseconds ?? 0))
    }
}
