import CrierCore
import Testing

@testable import CrierSources

/// Live tailing decodes with the same LineDecoder as replay; a chunk is committed with its
/// checkpoint, so a container line's pieces are joined within a chunk and a piece still
/// waiting at the chunk's end is given out rather than held past the checkpoint.
@Suite struct LivePartialLineTests {
    func chunk(_ lines: [String], format: InputFormat = .auto) -> SourceChunk {
        var batch = LineBatch(format: format, messageKey: nil, firstLine: 1)
        for line in lines { Array(line.utf8).withUnsafeBytes { batch.append($0, truncated: false) } }
        batch.seal()
        return SourceChunk(source: "file:/var/log/pods/x/0.log", payload: .lines(batch), checkpoint: nil, maxAge: nil)
    }

    func decode(_ chunks: [SourceChunk]) -> [String] {
        var options = ReaderOptions(years: YearInference(year: 2026))
        options.zone = .utc
        let decoder = ChunkDecoder(options: options)
        var messages: [String] = []
        for c in chunks { decoder.decode(c) { messages.append($0.message.lossyString) } }
        return messages
    }

    @Test func criPiecesJoinInsideAChunkAndAreFlushedAtItsEnd() {
        let messages = decode([
            chunk(["2026-11-23T10:00:00.000000000Z stdout P first ", "2026-11-23T10:00:00.000100000Z stdout F line",
                   "2026-11-23T10:00:01.000000000Z stderr P cut off"]),
            chunk(["2026-11-23T10:00:02.000000000Z stderr F next"]),
        ])
        #expect(messages == ["first line", "cut off", "next"])
    }

    @Test func dockerJSONChunksJoinLikeReplay() {
        let messages = decode([
            chunk([#"{"log":"[2026-11-23 10:00:00 +0000] [1] [CRITICAL] WORKER ","stream":"stderr","time":"2026-11-23T10:00:00.1Z"}"#,
                   #"{"log":"TIMEOUT (pid:7)\n","stream":"stderr","time":"2026-11-23T10:00:00.1Z"}"#]),
        ])
        #expect(messages == ["WORKER TIMEOUT (pid:7)"])
    }
}
