import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierSources

@Suite struct LineBufferTests {
    func lines(_ input: [UInt8], maxLineBytes: Int = 1 << 20, chunk: Int = 7) -> [(String, Bool)] {
        let buffer = LineBuffer(maxLineBytes: maxLineBytes, minimumCapacity: 16)
        var out: [(String, Bool)] = []
        var offset = 0
        while true {
            if offset < input.count {
                let n = input[offset..<min(input.count, offset + chunk)].withUnsafeBytes { buffer.append($0) }
                offset += n
            } else {
                buffer.markEndOfInput()
            }
            while let line = buffer.nextLine() { out.append((line.bytes.lossyString, line.truncated)) }
            if buffer.endOfInput { return out }
        }
    }

    @Test func crlfAndPartialLastLine() {
        let out = lines(Array("one\r\ntwo\n\nthree".utf8))
        #expect(out.map(\.0) == ["one", "two", "", "three"])
        #expect(out.allSatisfy { !$0.1 })
    }

    @Test func longLinesAreCutCountedAndTheRestSkipped() {
        let long = String(repeating: "x", count: 200_000)
        let out = lines(Array("a\n\(long)\nb\n".utf8), maxLineBytes: 1_000, chunk: 4_096)
        #expect(out.map(\.0.count) == [1, 1_000, 1])
        #expect(out.map(\.1) == [false, true, false])
    }

    @Test func offsetsCountConsumedBytes() {
        let buffer = LineBuffer(maxLineBytes: 100, minimumCapacity: 16)
        _ = Array("ab\ncd\n".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(buffer.nextLine()?.endOffset == 3)
        #expect(buffer.nextLine()?.endOffset == 6)
        #expect(buffer.nextLine() == nil)
    }
}

@Suite struct LogFileReaderTests {
    func read(_ contents: Data, format: InputFormat = .auto, maxLineBytes: Int = 1 << 20) throws -> ([String], ReadStats, [RecordFlags]) {
        let dir = TempDirectory()
        let path = dir.write("input.log", contents)
        var options = ReaderOptions(years: YearInference(year: 2026))
        options.maxLineBytes = maxLineBytes
        options.zone = .utc
        let reader = try LogFileReader(path: path, format: format, options: options)
        var messages: [String] = []
        var flags: [RecordFlags] = []
        try reader.forEachRecord { view in
            messages.append(view.message.lossyString)
            flags.append(view.flags)
        }
        return (messages, reader.stats, flags)
    }

    @Test func sniffsJSONAndKeepsMalformedLinesAsText() throws {
        let text = """
            {"msg":"one"}
            {"msg": broken
            plain text line
            {"msg":"four"}

            """
        let (messages, stats, flags) = try read(Data(text.utf8))
        #expect(stats.format == .json)
        #expect(messages == ["one", "{\"msg\": broken", "plain text line", "four"])
        #expect(stats.malformed == 2)
        #expect(stats.malformedSamples.map(\.line) == [2, 3])
        #expect(flags[1].contains(.malformedJSON) && flags[2].contains(.malformedJSON) && !flags[0].contains(.malformedJSON))
    }

    @Test func sniffsJournalJSONAndText() throws {
        let (_, journal, _) = try read(Data(#"{"__CURSOR":"s=1","MESSAGE":"x"}"#.utf8))
        #expect(journal.format == .journalJSON)
        let (_, text, _) = try read(Data("Dec 10 06:55:46 LabSZ sshd[1]: x\n".utf8))
        #expect(text.format == .text)
    }

    @Test func tenMegabyteLineIsTruncatedAndCounted() throws {
        var data = Data("before\n".utf8)
        data.append(Data(repeating: UInt8(ascii: "y"), count: 10 << 20))
        data.append(Data("\nafter\n".utf8))
        let (messages, stats, flags) = try read(data)
        #expect(messages.count == 3)
        #expect(messages[1].utf8.count == 1 << 20)
        #expect(messages[2] == "after")
        #expect(stats.truncated == 1 && flags[1].contains(.truncated))
        #expect(stats.lines == 3)
    }

    @Test func nonUTF8BytesDoNotStopTheReader() throws {
        var data = Data("ok line\n".utf8)
        data.append(contentsOf: [0x62, 0x61, 0x64, 0xFF, 0xFE, 0x0A])
        data.append(Data("next\n".utf8))
        let (messages, stats, _) = try read(data, format: .text)
        #expect(stats.lines == 3)
        #expect(messages[1].hasPrefix("bad"))
        #expect(messages[2] == "next")
    }

    @Test func missingFileIsOneClearError() {
        do {
            _ = try LogFileReader(path: "/nonexistent/app.log", format: .auto, options: ReaderOptions(years: YearInference(year: 2026)))
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "cannot read /nonexistent/app.log: No such file or directory")
        }
    }

    @Test func binaryJournalIsRecognised() throws {
        var data = Data("LPKSHHRH".utf8)
        data.append(Data(repeating: 0, count: 100))
        #expect(throws: SourceError.self) { _ = try read(data) }
    }
}
