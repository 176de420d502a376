public import CrierCore

/// Turns chunks back into record views on the pipeline's side, with one parser per source
/// (year inference, the remembered minute and the sniffed format are per file).
public final class ChunkDecoder {
    private final class FileParsers {
        var decoder: LineDecoder
        var lineNumber = 0

        init(format: InputFormat, messageKey: String?, options: ReaderOptions) {
            decoder = LineDecoder(format: format, messageKey: messageKey, options: options)
        }
    }

    private var parsers: [String: FileParsers] = [:]
    private var fieldScratch: [FieldEntry] = []
    public let options: ReaderOptions
    /// Lines of JSON inputs that did not parse (counted; they are matched as text).
    public private(set) var malformed = 0

    public init(options: ReaderOptions) { self.options = options }

    /// Calls `body` with each record of the chunk, in order.
    public func decode(_ chunk: SourceChunk, _ body: (inout RecordView) -> Void) {
        switch chunk.payload {
        case .lines(let batch): decodeLines(batch, source: chunk.source, body)
        case .entries(let batch): decodeEntries(batch, body)
        }
    }

    private func decodeLines(_ batch: LineBatch, source: String, _ body: (inout RecordView) -> Void) {
        let parsers = self.parsers[source] ?? {
            let p = FileParsers(format: batch.format, messageKey: batch.messageKey, options: options)
            self.parsers[source] = p
            return p
        }()
        batch.bytes.withUnsafeBytes { raw in
            func line(_ span: LineBatch.Span) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: raw[span.start..<(span.start + span.length)])
            }
            if parsers.decoder.format == .auto { parsers.decoder.format = LineDecoder.sniff(batch.lines.prefix(16).map(line)) }
            let before = parsers.decoder.malformed
            defer { malformed += parsers.decoder.malformed - before }
            for span in batch.lines {
                parsers.lineNumber += 1
                // `body` does not throw, and the decoder throws nothing of its own.
                try? parsers.decoder.decode(line(span), number: parsers.lineNumber, truncated: span.truncated) { body(&$0) }
            }
            // A chunk is committed with its checkpoint: a piece of a container line that
            // is still waiting for its rest goes out now rather than be lost on a restart.
            try? parsers.decoder.flushPartials { body(&$0) }
        }
    }

    private func decodeEntries(_ batch: EntryBatch, _ body: (inout RecordView) -> Void) {
        batch.bytes.withUnsafeBytes { raw in
            for (index, entry) in batch.entries.enumerated() {
                fieldScratch.removeAll(keepingCapacity: true)
                var view = RecordView(line: index + 1, format: .journal, timestamp: Timestamp(microseconds: entry.timestamp),
                                      message: UnsafeRawBufferPointer(start: nil, count: 0))
                for i in entry.firstField..<(entry.firstField + entry.fieldCount) {
                    let f = batch.fields[i]
                    let key = UnsafeRawBufferPointer(rebasing: raw[f.keyStart..<(f.keyStart + f.keyLength)])
                    let value = UnsafeRawBufferPointer(rebasing: raw[f.valueStart..<(f.valueStart + f.valueLength)])
                    fieldScratch.append(FieldEntry(key: key, value: value, kind: .string))
                    view.takeJournalField(key: key, value: value)
                }
                fieldScratch.withUnsafeBufferPointer { fields in
                    view.fields = fields
                    body(&view)
                }
            }
        }
    }
}
