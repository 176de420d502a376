import CrierCore

/// Turns chunks back into record views on the pipeline's side, with one parser per source
/// (year inference, the remembered minute and the sniffed format are per file).
public final class ChunkDecoder {
    private final class FileParsers {
        var text: TextLineParser
        let json: JSONLineParser
        var format: InputFormat
        var lineNumber = 0

        init(format: InputFormat, messageKey: String?, options: ReaderOptions) {
            text = TextLineParser(zone: options.zone, years: options.years)
            json = JSONLineParser(messageKey: messageKey, forceJournal: format == .journalJSON, zone: options.zone)
            self.format = format
        }
    }

    private var parsers: [String: FileParsers] = [:]
    private var fieldScratch: [FieldEntry] = []
    public let options: ReaderOptions
    /// Lines of JSON inputs that did not parse (counted; they are matched as text).
    public private(set) var malformed = 0

    public init(options: ReaderOptions) { self.options = options }

    /// Calls `body` with each record of the chunk, in order.
    public func decode(_ chunk: SourceChunk, _ body: (inout RecordView) throws -> Void) rethrows {
        switch chunk.payload {
        case .lines(let batch): try decodeLines(batch, source: chunk.source, body)
        case .entries(let batch): try decodeEntries(batch, body)
        }
    }

    private func decodeLines(_ batch: LineBatch, source: String, _ body: (inout RecordView) throws -> Void) rethrows {
        let parsers = self.parsers[source] ?? {
            let p = FileParsers(format: batch.format, messageKey: batch.messageKey, options: options)
            self.parsers[source] = p
            return p
        }()
        if parsers.format == .auto { parsers.format = ChunkDecoder.sniff(batch) }
        try batch.bytes.withUnsafeBytes { raw in
            for span in batch.lines {
                parsers.lineNumber += 1
                let line = UnsafeRawBufferPointer(rebasing: raw[span.start..<(span.start + span.length)])
                if parsers.format == .json || parsers.format == .journalJSON,
                   line.first(where: { $0 != 0x20 && $0 != 0x09 }) == 0x7B {
                    do {
                        try parsers.json.parse(line, lineNumber: parsers.lineNumber) { view in
                            var view = view
                            if span.truncated { view.flags.insert(.truncated) }
                            try body(&view)
                        }
                        continue
                    } catch is JSONLineParser.Failure {
                        malformed += 1
                    }
                }
                var view = parsers.text.parse(line, lineNumber: parsers.lineNumber)
                if span.truncated { view.flags.insert(.truncated) }
                try body(&view)
            }
        }
    }

    private func decodeEntries(_ batch: EntryBatch, _ body: (inout RecordView) throws -> Void) rethrows {
        try batch.bytes.withUnsafeBytes { raw in
            for (index, entry) in batch.entries.enumerated() {
                fieldScratch.removeAll(keepingCapacity: true)
                var message = UnsafeRawBufferPointer(start: nil, count: 0)
                for i in entry.firstField..<(entry.firstField + entry.fieldCount) {
                    let f = batch.fields[i]
                    let value = UnsafeRawBufferPointer(rebasing: raw[f.valueStart..<(f.valueStart + f.valueLength)])
                    fieldScratch.append(FieldEntry(key: UnsafeRawBufferPointer(rebasing: raw[f.keyStart..<(f.keyStart + f.keyLength)]),
                                                   value: value, kind: .string))
                    if i == entry.messageField { message = value }
                }
                try fieldScratch.withUnsafeBufferPointer { fields in
                    var view = RecordView(line: index + 1, format: .journal, timestamp: Timestamp(microseconds: entry.timestamp),
                                          message: message)
                    view.fields = fields
                    try body(&view)
                }
            }
        }
    }

    /// JSON when most of the first lines are objects, else text.
    static func sniff(_ batch: LineBatch) -> InputFormat {
        var json = 0, other = 0, journal = false
        for span in batch.lines.prefix(16) {
            let first = batch.bytes[span.start..<(span.start + span.length)].first { $0 != 0x20 && $0 != 0x09 }
            guard let first else { continue }
            if first == 0x7B {
                json += 1
                let text = String(decoding: batch.bytes[span.start..<(span.start + span.length)], as: UTF8.self)
                if text.contains("\"__REALTIME_TIMESTAMP\"") || text.contains("\"__CURSOR\"") { journal = true }
            } else {
                other += 1
            }
        }
        if json > 0 && json >= other { return journal ? .journalJSON : .json }
        return json + other == 0 ? .auto : .text
    }
}
