/// What a rule may refer to by name: the parts every format has under one name, plus any
/// raw field (a JSON key such as `logger` or `a.b`, a journal field such as `_SYSTEMD_UNIT`).
public enum FieldName: Hashable, Sendable, CustomStringConvertible {
    case message
    case host
    case ident
    case pid
    case unit
    case level
    case logger
    case raw(String)

    public init(_ name: String) {
        switch name {
        case "message": self = .message
        case "host": self = .host
        case "ident": self = .ident
        case "pid": self = .pid
        case "unit": self = .unit
        case "level": self = .level
        case "logger": self = .logger
        default: self = .raw(name)
        }
    }

    public var description: String {
        switch self {
        case .message: "message"
        case .host: "host"
        case .ident: "ident"
        case .pid: "pid"
        case .unit: "unit"
        case .level: "level"
        case .logger: "logger"
        case .raw(let name): name
        }
    }

    /// Keys that carry this part in JSON logs and journal entries, most specific first.
    public var structuredKeys: [String] {
        switch self {
        case .message: ["MESSAGE", "msg", "message", "log"]
        case .host: ["_HOSTNAME", "host", "hostname", "host.name"]
        case .ident: ["SYSLOG_IDENTIFIER", "ident", "program", "app", "appname", "_COMM"]
        case .pid: ["_PID", "SYSLOG_PID", "pid", "process", "process.pid"]
        case .unit: ["_SYSTEMD_UNIT", "UNIT", "unit", "_SYSTEMD_USER_UNIT"]
        case .level: ["level", "levelname", "severity", "log.level", "lvl", "PRIORITY"]
        case .logger: ["logger", "logger_name", "name", "log.logger"]
        case .raw(let name): [name]
        }
    }
}

/// One flattened field of a structured record, borrowed from the parser's buffers.
public struct FieldEntry {
    public var key: UnsafeRawBufferPointer
    public var value: UnsafeRawBufferPointer
    public var kind: FieldKind

    public init(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, kind: FieldKind) {
        self.key = key
        self.value = value
        self.kind = kind
    }
}

public enum FieldKind: UInt8, Sendable {
    case string, number, bool, null, bytes, json
}

/// A record as the hot path sees it: every part is a byte range borrowed from the reader's
/// buffer, valid only during the call it is passed to. Nothing here allocates.
public struct RecordView {
    /// 1-based line (or entry index) where the record starts.
    public var line: Int
    public var format: RecordFormat
    public var timestamp: Timestamp?
    public var message: UnsafeRawBufferPointer
    /// Syslog prefix parts (text records); empty when absent.
    public var host = UnsafeRawBufferPointer(start: nil, count: 0)
    public var ident = UnsafeRawBufferPointer(start: nil, count: 0)
    public var pid = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Flattened fields of JSON and journal records; empty for text.
    public var fields = UnsafeBufferPointer<FieldEntry>(start: nil, count: 0)
    /// A traceback carried apart from the message (JSON `exc_info`), if any.
    public var traceback = UnsafeRawBufferPointer(start: nil, count: 0)
    public var flags: RecordFlags = []
    /// How many occurrences this record stands for: rsyslog's
    /// "message repeated 5 times: [ … ]" is one line but five events.
    public var repeats = 1
    /// `_SYSTEMD_UNIT` of a journal record (its reader fills host, ident, pid and unit while
    /// it walks the fields anyway, so lookups need no second pass).
    public var unit = UnsafeRawBufferPointer(start: nil, count: 0)

    public init(line: Int, format: RecordFormat, timestamp: Timestamp?, message: UnsafeRawBufferPointer) {
        self.line = line
        self.format = format
        self.timestamp = timestamp
        self.message = message
    }

    /// The bytes of a named part, or nil when the record does not have it.
    @inline(__always)
    public func value(of name: FieldName) -> UnsafeRawBufferPointer? {
        switch name {
        case .message: return message
        case .host where !host.isEmpty: return host
        case .ident where !ident.isEmpty: return ident
        case .pid where !pid.isEmpty: return pid
        case .unit where !unit.isEmpty: return unit
        case .host, .ident, .pid:
            if format == .text { return nil }
        default: break
        }
        if fields.isEmpty { return nil }
        for key in name.structuredKeys {
            if let v = field(key) { return v }
        }
        return nil
    }

    /// Notes a journal field that has a place of its own (message, host, ident, pid, unit,
    /// the source's own timestamp), while a reader walks an entry's fields.
    @inline(__always)
    public mutating func takeJournalField(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        switch key.count {
        case 7 where key.hasPrefix("MESSAGE"): message = value
        case 9 where key.hasPrefix("_HOSTNAME"): host = value
        case 17 where key.hasPrefix("SYSLOG_IDENTIFIER"): ident = value
        case 4 where key.hasPrefix("_PID"): pid = value
        case 13 where key.hasPrefix("_SYSTEMD_UNIT"): unit = value
        case 26 where key.hasPrefix("_SOURCE_REALTIME_TIMESTAMP"):
            var n: Int64 = 0
            for d in value {
                guard d >= 0x30 && d <= 0x39 else { return }
                n = n &* 10 &+ Int64(d - 0x30)
            }
            if !value.isEmpty { timestamp = Timestamp(microseconds: n) }
        default: break
        }
    }

    /// A raw structured field by exact key.
    public func field(_ key: String) -> UnsafeRawBufferPointer? {
        var key = key
        return key.withUTF8 { k in
            for entry in fields where entry.key.count == k.count && memcmpEqual(entry.key, UnsafeRawBufferPointer(k)) {
                return entry.value
            }
            return nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif


extension UnsafeRawBufferPointer {
    /// Offset of the first `byte` at or after `start` (memchr: vectorised, unlike a loop).
    @inline(__always)
    public func firstOffset(of byte: UInt8, from start: Int = 0) -> Int? {
        guard start < count, let base = baseAddress else { return nil }
        guard let hit = memchr(base + start, Int32(byte), count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
}

extension UnsafeRawBufferPointer {
    /// Decodes as UTF-8, replacing invalid bytes with U+FFFD; reports whether any were replaced.
    public func decodedString() -> (String, valid: Bool) {
        // Log text is nearly always ASCII: check eight bytes at a time before validating.
        if isASCII { return (String(decoding: self, as: UTF8.self), true) }
        if let s = String(validating: self, as: UTF8.self) { return (s, true) }
        return (String(decoding: self, as: UTF8.self), false)
    }

    var isASCII: Bool {
        guard let base = baseAddress else { return true }
        var i = 0
        while i + 8 <= count {
            if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < count {
            if base.load(fromByteOffset: i, as: UInt8.self) & 0x80 != 0 { return false }
            i += 1
        }
        return true
    }

    public var lossyString: String { String(decoding: self, as: UTF8.self) }

    @inline(__always)
    public func hasPrefix(_ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard count >= n else { return false }
        if n == 0 { return true }
        return memcmp(baseAddress!, prefix.utf8Start, n) == 0
    }
}
