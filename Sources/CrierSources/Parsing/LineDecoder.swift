public import CrierCore

/// Turns one line into a record view, the same way for replay and for live tailing: JSON
/// objects through simdjson when the input is JSON, everything else (and JSON that does not
/// parse, which is counted and reported) as text.
public struct LineDecoder {
    public var text: TextLineParser
    public let json: JSONLineParser
    /// `.text`, `.json` or `.journalJSON`; `.auto` until `sniff` has decided.
    public var format: InputFormat
    public private(set) var malformed = 0
    public private(set) var malformedSamples: [(line: Int, reason: String)] = []

    public init(format: InputFormat, messageKey: String?, options: ReaderOptions) {
        text = TextLineParser(zone: options.zone, years: options.years)
        json = JSONLineParser(messageKey: messageKey, forceJournal: format == .journalJSON, zone: options.zone)
        self.format = format
    }

    /// The line must have `LineBuffer.padding` readable bytes after it (simdjson).
    public mutating func decode(_ line: UnsafeRawBufferPointer, number: Int, truncated: Bool,
                                _ body: (inout RecordView) throws -> Void) throws {
        var jsonFailed = false
        if format == .json || format == .journalJSON {
            let first = line.first { $0 != 0x20 && $0 != 0x09 }
            if first == 0x7B {  // {
                do {
                    try json.parse(line, lineNumber: number) { view in
                        var view = view
                        if truncated { view.flags.insert(.truncated) }
                        try body(&view)
                    }
                    return
                } catch let failure as JSONLineParser.Failure {
                    note(number, truncated ? "cut at max_line_bytes: \(failure.message)" : failure.message)
                }
                jsonFailed = true
            } else if first != nil {
                note(number, "not a JSON object")
                jsonFailed = true
            }
        }
        var view = text.parse(line, lineNumber: number)
        if jsonFailed { view.flags.insert(.malformedJSON) }
        if truncated { view.flags.insert(.truncated) }
        try body(&view)
    }

    private mutating func note(_ line: Int, _ reason: String) {
        malformed += 1
        if malformedSamples.count < ReadStats.maxSamples { malformedSamples.append((line, reason)) }
    }

    /// JSON when most of the first lines are objects (journal JSON when they carry journal
    /// fields), text otherwise; `.auto` while there is nothing to look at.
    public static func sniff(_ lines: [UnsafeRawBufferPointer]) -> InputFormat {
        var json = 0, other = 0, journal = false
        for line in lines.prefix(16) {
            guard let first = line.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            if first == 0x7B {
                json += 1
                if line.firstRange(of: "\"__REALTIME_TIMESTAMP\"") != nil || line.firstRange(of: "\"__CURSOR\"") != nil {
                    journal = true
                }
            } else {
                other += 1
            }
        }
        if json > 0 && json >= other { return journal ? .journalJSON : .json }
        return json + other == 0 ? .auto : .text
    }
}
