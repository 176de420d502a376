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

    /// Pieces of a long line cut by a container runtime (CRI `P` lines, Docker json-file
    /// chunks without `\n`), held until the line is whole.
    private let joiner: PartialLineJoiner

    public init(format: InputFormat, messageKey: String?, options: ReaderOptions) {
        text = TextLineParser(zone: options.zone, years: options.years)
        json = JSONLineParser(messageKey: messageKey, forceJournal: format == .journalJSON, zone: options.zone)
        joiner = PartialLineJoiner(maxBytes: options.maxLineBytes)
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
                        if view.format == .json, let log = view.field("log"), let stream = view.field("stream") {
                            try dockerJSON(view, log: log, stream: stream, truncated: truncated, body)
                            return
                        }
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
        if let cri = TextLineParser.criTag(line) {
            let stream = cri.stderr ? 1 : 0
            if cri.partial {
                joiner.addCRI(line, tag: cri.tag, stream: stream, lineNumber: number)
                return
            }
            if var pieces = joiner.take(stream: stream) {
                pieces.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[min(cri.tag + 2, line.count)...]))
                try emit(pieces, truncated: truncated, body)
                return
            }
        } else if !joiner.isEmpty {
            try flushPartials(body)
        }
        var view = text.parse(line, lineNumber: number)
        if jsonFailed { view.flags.insert(.malformedJSON) }
        if truncated { view.flags.insert(.truncated) }
        try body(&view)
    }

    /// Gives out pieces of lines never completed: at the end of the input, and at the end
    /// of each live chunk (a chunk is committed with its checkpoint, so nothing may wait
    /// past it).
    public mutating func flushPartials(_ body: (inout RecordView) throws -> Void) throws {
        for stream in 0..<2 {
            if let pieces = joiner.take(stream: stream) { try emit(pieces, truncated: false, body) }
        }
    }

    private mutating func emit(_ pieces: PartialLineJoiner.Pending, truncated: Bool,
                               _ body: (inout RecordView) throws -> Void) throws {
        try pieces.bytes.withUnsafeBytes { raw in
            var view: RecordView
            switch pieces.kind {
            case .cri:
                view = text.parse(raw, lineNumber: pieces.line)
            case .dockerJSON:
                let name: StaticString = pieces.stream == 1 ? "stderr" : "stdout"
                let extra = [FieldEntry(key: TextFieldBuffer.bytes(of: "stream"), value: TextFieldBuffer.bytes(of: name),
                                        kind: .string)]
                view = extra.withUnsafeBufferPointer { extra in
                    text.parseContent(raw, lineNumber: pieces.line, timestamp: pieces.timestamp, extraFields: extra,
                                      format: .json)
                }
            }
            if truncated || pieces.truncated { view.flags.insert(.truncated) }
            try body(&view)
        }
    }

    /// Docker's json-file driver: `{"log":"…\n","stream":"stdout","time":"…"}`. The `log`
    /// value is parsed as a line of its own (its own time, program and prefixes win);
    /// the JSON keys stay fields. A `log` without its final `\n` is a piece of a longer line.
    private mutating func dockerJSON(_ view: RecordView, log: UnsafeRawBufferPointer, stream: UnsafeRawBufferPointer,
                                     truncated: Bool, _ body: (inout RecordView) throws -> Void) throws {
        let index = stream.hasPrefix("stderr") ? 1 : 0
        guard log.last == 0x0A else {
            joiner.addDocker(log, stream: index, lineNumber: view.line, timestamp: view.timestamp)
            return
        }
        var end = log.count - 1
        if end > 0 && log[end - 1] == 0x0D { end -= 1 }
        let text = UnsafeRawBufferPointer(rebasing: log[0..<end])
        var lineNumber = view.line
        var timestamp = view.timestamp
        var joined: [UInt8] = []
        var cut = truncated
        if let pieces = joiner.take(stream: index) {
            joined = pieces.bytes
            joined.append(contentsOf: text)
            lineNumber = pieces.line
            timestamp = pieces.timestamp ?? timestamp
            cut = cut || pieces.truncated
        }
        try joined.withUnsafeBytes { raw in
            let content = joined.isEmpty ? text : raw
            var inner = self.text.parseContent(content, lineNumber: lineNumber, timestamp: timestamp,
                                               extraFields: view.fields, format: .json)
            if cut { inner.flags.insert(.truncated) }
            try body(&inner)
        }
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
