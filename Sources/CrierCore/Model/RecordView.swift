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
        case .host where format == .text: return host.isEmpty ? nil : host
        case .ident where format == .text: return ident.isEmpty ? nil : ident
        case .pid where format == .text: return pid.isEmpty ? nil : pid
        default: break
        }
        if fields.isEmpty { return nil }
        for key in name.structuredKeys {
            if let v = field(key) { return v }
        }
        return nil
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

@inline(__always)
func memcmpEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    return a.elementsEqual(b)
}

extension UnsafeRawBufferPointer {
    /// Decodes as UTF-8, replacing invalid bytes with U+FFFD; reports whether any were replaced.
    public func decodedString() -> (String, valid: Bool) {
        if let s = String(validating: self, as: UTF8.self) { return (s, true) }
        return (String(decoding: self, as: UTF8.self), false)
    }

    public var lossyString: String { String(decoding: self, as: UTF8.self) }

    @inline(__always)
    public func hasPrefix(_ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard count >= n else { return false }
        return prefix.withUTF8Buffer { p in
            UnsafeRawBufferPointer(rebasing: self[0..<n]).elementsEqual(UnsafeRawBufferPointer(p))
        }
    }
}
