import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierSources

/// A parsed text line with its fields, as owned values (for the format tests).
struct ParsedLine: Equatable {
    var timestamp: String?
    var host: String?
    var ident: String?
    var pid: String?
    var message: String
    var fields: [String: String] = [:]

    init(timestamp: String? = nil, host: String? = nil, ident: String? = nil, pid: String? = nil, message: String,
         fields: [String: String] = [:]) {
        self.timestamp = timestamp
        self.host = host
        self.ident = ident
        self.pid = pid
        self.message = message
        self.fields = fields
    }

    init(_ v: RecordView) {
        func s(_ b: UnsafeRawBufferPointer) -> String? { b.isEmpty ? nil : b.lossyString }
        timestamp = v.timestamp?.iso8601
        host = s(v.host)
        ident = s(v.ident)
        pid = s(v.pid)
        message = v.message.lossyString
        for f in v.fields { fields[f.key.lossyString] = f.value.lossyString }
    }
}

/// Parses each line with one parser (as a reader does), pinned to UTC and 2026-11-23.
func parseLines(_ lines: [String]) -> [ParsedLine] {
    var parser = TextLineParser(zone: .utc, years: YearInference(reference: Timestamp(year: 2026, month: 11, day: 23)))
    return lines.map { line in Array(line.utf8).withUnsafeBytes { ParsedLine(parser.parse($0, lineNumber: 1)) } }
}

func parseLine(_ line: String) -> ParsedLine { parseLines([line])[0] }

/// Every record a reader gives for `contents` (replay path: sniffing, joins, flushes).
func readRecords(_ contents: String, format: InputFormat = .auto) throws -> [ParsedLine] {
    let dir = TempDirectory()
    let path = dir.write("input.log", Data(contents.utf8))
    var options = ReaderOptions(years: YearInference(year: 2026))
    options.zone = .utc
    let reader = try LogFileReader(path: path, format: format, options: options)
    var out: [ParsedLine] = []
    try reader.forEachRecord { out.append(ParsedLine($0)) }
    return out
}
