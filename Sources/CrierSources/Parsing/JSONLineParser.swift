// The only Swift file that imports the simdjson wrapper (DESIGN §2).
internal import CSimdJSON
public import CrierCore

/// Parses JSON lines (any object, `journalctl -o json` entries included) into `RecordView`s.
///
/// Nested keys are flattened as `a.b`. The message is `message_key`, else the first of
/// `msg`, `message`, `MESSAGE`, `log`; the time is the first of `ts`, `time`, `timestamp`,
/// `@timestamp`, `__REALTIME_TIMESTAMP` (ISO 8601, or epoch seconds, milliseconds,
/// microseconds or nanoseconds told apart by size). A journal field written as an array of
/// byte values (journalctl's form for binary or non-UTF-8 data) becomes those bytes.
public final class JSONLineParser {
    public static let messageKeys = ["msg", "message", "MESSAGE", "log"]
    public static let timeKeys = ["ts", "time", "timestamp", "@timestamp", "__REALTIME_TIMESTAMP"]
    /// Keys where Python JSON formatters put the traceback of `logger.exception`.
    public static let tracebackKeys = ["exc_info", "exception", "exc_text", "stack_trace", "traceback", "stack",
                                       "error.stack_trace"]

    public let messageKey: String?
    /// Every record is a journal entry (`--format journal-json`); otherwise detected per line.
    public let forceJournal: Bool
    private let parser: OpaquePointer
    private var fields: [FieldEntry] = []
    private var zone: LocalTimeConverter

    public struct Failure: Error, Sendable {
        public var message: String
    }

    public init(messageKey: String? = nil, forceJournal: Bool = false, zone: ZonePolicy = .local) {
        self.messageKey = messageKey
        self.forceJournal = forceJournal
        self.zone = LocalTimeConverter(policy: zone)
        guard let p = crier_json_parser_new() else { fatalError("simdjson: out of memory creating a parser") }
        parser = p
    }

    deinit { crier_json_parser_free(parser) }

    /// Bytes simdjson may read past a line's end; `LineBuffer` guarantees them.
    public static var padding: Int { crier_json_padding() }

    /// Parses `line` and calls `body` with the record view (valid only inside `body`).
    public func parse<R>(_ line: UnsafeRawBufferPointer, lineNumber: Int,
                         _ body: (RecordView) throws -> R) throws -> R {
        var out: UnsafePointer<crier_json_field>?
        let rc = crier_json_parse(parser, line.baseAddress?.assumingMemoryBound(to: CChar.self), line.count, &out)
        guard rc >= 0, let out else {
            throw Failure(message: String(cString: crier_json_error_message(rc)))
        }
        fields.removeAll(keepingCapacity: true)
        var isJournal = forceJournal
        for i in 0..<Int(rc) {
            let f = out[i]
            let key = UnsafeRawBufferPointer(start: f.key, count: Int(f.key_len))
            if !isJournal && key.first == 0x5F && key.count > 2 && key[1] == 0x5F {  // __CURSOR, __REALTIME_TIMESTAMP
                isJournal = true
            }
            fields.append(FieldEntry(key: key, value: UnsafeRawBufferPointer(start: f.value, count: Int(f.value_len)),
                                     kind: FieldKind(rawValue: f.kind) ?? .json))
        }
        return try fields.withUnsafeBufferPointer { buffer in
            var view = RecordView(line: lineNumber, format: isJournal ? .journal : .json, timestamp: nil, message: line)
            view.fields = buffer
            if let key = messageKey {
                if let v = view.field(key) { view.message = trimNewline(v) }
            } else {
                for key in JSONLineParser.messageKeys {
                    if let v = view.field(key) { view.message = trimNewline(v); break }
                }
            }
            for key in JSONLineParser.timeKeys {
                guard let entry = buffer.first(where: { $0.key.equals(key) }) else { continue }
                if let t = timestamp(entry, journal: key == "__REALTIME_TIMESTAMP") {
                    view.timestamp = t
                    break
                }
            }
            for key in JSONLineParser.tracebackKeys {
                if let v = view.field(key), v.firstTracebackOffset() != nil {
                    view.traceback = trimNewline(v)
                    break
                }
            }
            return try body(view)
        }
    }

    private func trimNewline(_ v: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var n = v.count
        while n > 0 && (v[n - 1] == 0x0A || v[n - 1] == 0x0D) { n -= 1 }
        return UnsafeRawBufferPointer(rebasing: v[0..<n])
    }

    private func timestamp(_ entry: FieldEntry, journal: Bool) -> Timestamp? {
        let v = entry.value
        if entry.kind == .number || journal || (v.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? false) && !v.contains(0x2D) {
            guard let number = Double(String(decoding: v, as: UTF8.self)) else { return nil }
            if journal { return Timestamp(microseconds: Int64(number)) }
            return JSONLineParser.epoch(number)
        }
        let scan = TimestampScanner(bytes: v)
        guard let (civil, _, _) = scan.iso8601(0) else { return nil }
        if let offset = civil.zoneOffset {
            return Timestamp(seconds: civil.civilSeconds - Int64(offset), microseconds: Int64(civil.microsecond))
        }
        return zone.instant(civilSeconds: civil.civilSeconds, microseconds: Int64(civil.microsecond))
    }

    /// Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude
    /// (valid for dates between 1973 and 5138).
    static func epoch(_ n: Double) -> Timestamp? {
        let a = abs(n)
        if a < 1e11 { return Timestamp(microseconds: Int64((n * 1e6).rounded())) }
        if a < 1e14 { return Timestamp(microseconds: Int64((n * 1e3).rounded())) }
        if a < 1e17 { return Timestamp(microseconds: Int64(n.rounded())) }
        if a < 1e20 { return Timestamp(microseconds: Int64((n / 1e3).rounded())) }
        return nil
    }
}

extension UnsafeRawBufferPointer {
    func equals(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { $0.count == count && UnsafeRawBufferPointer($0).elementsEqual(self) }
    }

    func firstTracebackOffset() -> Int? { firstRange(of: "Traceback (most recent call last):") }

    /// Offset of the first occurrence of `needle`. Used on single fields and sniffed heads,
    /// never per line, so a plain scan is enough.
    func firstRange(of needle: StaticString) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard count >= n else { return nil }
        return needle.withUTF8Buffer { m -> Int? in
            let needle = UnsafeRawBufferPointer(m)
            var i = 0
            while i + n <= count {
                guard let j = self[i...].firstIndex(of: needle[0]), j + n <= count else { return nil }
                if UnsafeRawBufferPointer(rebasing: self[j..<(j + n)]).elementsEqual(needle) { return j }
                i = j + 1
            }
            return nil
        }
    }
}
