import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierSources

/// Collects what followers send, by waiting on the queue (no sleeps). A deadline only
/// guards against a hung test.
struct Collector {
    let queue: ChunkQueue
    let decoder = ChunkDecoder(options: {
        var o = ReaderOptions(years: YearInference(year: 2026))
        o.zone = .utc
        return o
    }())

    struct Record: Equatable {
        var source: String
        var message: String
        var fields: [String: String]
        var flags: RecordFlags
    }

    /// Takes chunks until `done` is true for everything collected so far.
    func collect(_ done: @escaping ([Record]) -> Bool, into records: [Record] = []) async throws -> [Record] {
        try await collectWithCheckpoints(done, into: records).records
    }

    /// The same, also returning the last checkpoint of each source.
    func collectWithCheckpoints(_ done: @escaping ([Record]) -> Bool, into records: [Record] = []) async throws
        -> (records: [Record], checkpoints: [String: SourceCheckpoint])
    {
        var records = records
        var checkpoints: [String: SourceCheckpoint] = [:]
        if done(records) { return (records, checkpoints) }
        let queue = self.queue
        let guardTask = Task {
            try await Task.sleep(for: .seconds(20))
            queue.finish()  // a hung follower ends the wait, and the test fails on its expectation
        }
        defer { guardTask.cancel() }
        for await item in queue.items {
            guard case .chunk(let chunk) = item else { continue }
            decoder.decode(chunk) { view in
                var fields: [String: String] = [:]
                for f in view.fields { fields[f.key.lossyString] = f.value.lossyString }
                records.append(Record(source: chunk.source, message: view.message.lossyString, fields: fields, flags: view.flags))
            }
            if let checkpoint = chunk.checkpoint { checkpoints[chunk.source] = checkpoint }
            queue.release()
            if done(records) { return (records, checkpoints) }
        }
        return (records, checkpoints)
    }
}

let journalRemoteInstalled = JournalFixture.available

@Suite struct JournalSourceTests {
    let base: Int64 = 1_795_428_000_000_000

    @Test(.enabled(if: journalRemoteInstalled)) func readsEveryFieldBinarySafe() throws {
        let dir = TempDirectory()
        var latin1 = Array("Failed password for invalid user j".utf8)
        latin1 += [0xFC] + Array("rgen from 192.0.2.5 port 22 ssh2".utf8)
        var binary = JournalFixture.Entry.text("", realtime: base, index: 1)
        binary.fields[7] = ("MESSAGE", latin1)
        var multi = JournalFixture.Entry.text("tagged", realtime: base + 1_000_000, index: 2)
        multi.fields += [("TAG", Array("a".utf8)), ("TAG", Array("b".utf8))]
        let traceback = JournalFixture.Entry.text("Task x[1] raised unexpected: E()\nTraceback (most recent call last):\nE: boom",
                                                  realtime: base + 2_000_000, index: 3, unit: "celery.service")
        try JournalFixture.write([binary, multi, traceback], to: dir.path)

        let reader = try JournalFileReader(path: dir.path)
        var seen: [(String, [String], Timestamp?)] = []
        try reader.forEachRecord { view in
            let tags = view.fields.filter { $0.key.lossyString == "TAG" }.map { $0.value.lossyString }
            seen.append((view.message.lossyString, tags, view.timestamp))
        }
        #expect(seen.count == 3)
        #expect(seen[0].0.hasPrefix("Failed password for invalid user j\u{FFFD}rgen"))
        #expect(seen[1].1 == ["a", "b"])
        #expect(seen[2].0.contains("\nTraceback (most recent call last):\n"))
        #expect(seen[0].2 == Timestamp(microseconds: base))
    }

    @Test(.enabled(if: journalRemoteInstalled)) func unitFilterAndCursorResume() throws {
        let dir = TempDirectory()
        try JournalFixture.write([
            .text("one", realtime: base, index: 1, unit: "ssh.service"),
            .text("two", realtime: base + 1, index: 2, unit: "celery.service"),
            .text("three", realtime: base + 2, index: 3, unit: "ssh.service"),
        ], to: dir.path)
        let journal = try SystemdJournal(location: .directory(dir.path), units: ["ssh.service"])
        journal.seekHead()
        var messages: [String] = []
        var cursorAfterFirst: String?
        while journal.next() {
            journal.withCurrentEntry(index: 0) { messages.append($0.message.lossyString) }
            if cursorAfterFirst == nil { cursorAfterFirst = journal.cursor() }
        }
        #expect(messages == ["one", "three"])

        let resumed = try SystemdJournal(location: .directory(dir.path))
        #expect(resumed.seek(after: cursorAfterFirst!))
        var rest: [String] = []
        while resumed.next() { resumed.withCurrentEntry(index: 0) { rest.append($0.message.lossyString) } }
        #expect(rest == ["two", "three"])
    }

    @Test(.enabled(if: journalRemoteInstalled)) func followerSeesEntriesAppendedWhileItRuns() async throws {
        let dir = TempDirectory()
        try JournalFixture.write([.text("before start", realtime: base, index: 1)], to: dir.path)
        let queue = ChunkQueue()
        var config = JournalSourceConfig()
        config.directory = dir.path
        config.start = .tail
        let follower = try JournalFollower(config: config, checkpoint: nil, queue: queue)
        follower.start()
        defer { follower.stopAndWait() }
        try JournalFixture.write([.text("appended while following", realtime: base + 5, index: 2),
                                  .text("and another", realtime: base + 6, index: 3)], to: dir.path)
        let (records, checkpoints) = try await Collector(queue: queue).collectWithCheckpoints { $0.count >= 2 }
        #expect(records.map(\.message) == ["appended while following", "and another"])
        #expect(records[0].fields["_SYSTEMD_UNIT"] == "ssh.service")
        guard case .journal(let cursor)? = checkpoints["journal:\(dir.path)"] else {
            Issue.record("chunks carry a journal cursor")
            return
        }
        // Resuming at that cursor reads nothing twice.
        try JournalFixture.write([.text("after the restart", realtime: base + 7, index: 4)], to: dir.path)
        let queue2 = ChunkQueue()
        config.start = .resume
        let second = try JournalFollower(config: config, checkpoint: .journal(cursor: cursor), queue: queue2)
        second.start()
        defer { second.stopAndWait() }
        let more = try await Collector(queue: queue2).collect { !$0.isEmpty }
        #expect(more.map(\.message) == ["after the restart"])
    }
}

@Suite struct FileFollowerTests {
    func follower(_ dir: TempDirectory, _ queue: ChunkQueue, pattern: String = "*.log", fromHead: Bool = false,
                  checkpoint: SourceCheckpoint? = nil) -> FileFollower {
        var config = FileSourceConfig()
        config.paths = ["\(dir.path)/\(pattern)"]
        config.readFromHead = fromHead
        let f = FileFollower(config: config, maxAge: nil, queue: queue) { _ in checkpoint }
        f.partialLineTimeout = .seconds(3600)
        return f
    }

    func append(_ path: String, _ text: String) {
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        try? h.close()
    }

    @Test func startsAtTheEndThenFollowsAndPicksUpNewFiles() async throws {
        let dir = TempDirectory()
        let app = dir.write("app.log", "history 1\nhistory 2\n")
        let queue = ChunkQueue()
        let f = follower(dir, queue)
        f.start()
        defer { f.stopAndWait() }
        append(app, "live 1\n")
        dir.write("new.log", "new file line\n")  // appeared later: read from its start
        let records = try await Collector(queue: queue).collect { $0.count >= 2 }
        #expect(Set(records.map(\.message)) == ["live 1", "new file line"])
    }

    @Test func renameAndCreateRotation() async throws {
        let dir = TempDirectory()
        let app = dir.write("app.log", "")
        let queue = ChunkQueue()
        let f = follower(dir, queue, pattern: "app.log")
        f.start()
        defer { f.stopAndWait() }
        append(app, "before rotation\n")
        var records = try await Collector(queue: queue).collect { $0.count >= 1 }
        append(app, "written just before the rename\n")
        try FileManager.default.moveItem(atPath: app, toPath: "\(dir.path)/app.log.1")
        dir.write("app.log", "first line of the new file\n")
        records = try await Collector(queue: queue).collect({ $0.count >= 3 }, into: records)
        #expect(records.map(\.message) == ["before rotation", "written just before the rename", "first line of the new file"])
    }

    @Test func copytruncateReadsTheFileAgainFromZero() async throws {
        let dir = TempDirectory()
        let app = dir.write("app.log", "")
        let queue = ChunkQueue()
        let f = follower(dir, queue)
        f.start()
        defer { f.stopAndWait() }
        append(app, "a fairly long first line before the truncation\n")
        var records = try await Collector(queue: queue).collect { $0.count >= 1 }
        let h = FileHandle(forWritingAtPath: app)!
        h.truncateFile(atOffset: 0)
        try h.close()
        append(app, "after\n")
        records = try await Collector(queue: queue).collect({ $0.count >= 2 }, into: records)
        #expect(records.map(\.message) == ["a fairly long first line before the truncation", "after"])
    }

    @Test func symlinkRetargetAndDeleteAndRecreate() async throws {
        let dir = TempDirectory()
        let a = dir.write("data/a.txt", "")
        let b = dir.write("data/b.txt", "")
        try FileManager.default.createSymbolicLink(atPath: "\(dir.path)/current.log", withDestinationPath: a)
        let queue = ChunkQueue()
        let f = follower(dir, queue, pattern: "current.log")
        f.start()
        defer { f.stopAndWait() }
        append(a, "in a\n")
        var records = try await Collector(queue: queue).collect { $0.count >= 1 }
        append(b, "b had this before the switch\n")
        try FileManager.default.removeItem(atPath: "\(dir.path)/current.log")
        try FileManager.default.createSymbolicLink(atPath: "\(dir.path)/current.log", withDestinationPath: b)
        append(b, "in b\n")
        records = try await Collector(queue: queue).collect({ $0.count >= 3 }, into: records)
        #expect(records.map(\.message) == ["in a", "b had this before the switch", "in b"])

        try FileManager.default.removeItem(atPath: "\(dir.path)/current.log")
        dir.write("current.log", "recreated as a plain file\n")
        records = try await Collector(queue: queue).collect({ $0.count >= 4 }, into: records)
        #expect(records.last?.message == "recreated as a plain file")
    }

    @Test func partialLastLineWaitsForItsNewlineOrTheTimeout() async throws {
        let dir = TempDirectory()
        let app = dir.write("app.log", "")
        let queue = ChunkQueue()
        let f = follower(dir, queue)
        f.start()
        append(app, "complete\nhalf a li")
        var records = try await Collector(queue: queue).collect { $0.count >= 1 }
        append(app, "ne\n")
        records = try await Collector(queue: queue).collect({ $0.count >= 2 }, into: records)
        #expect(records.map(\.message) == ["complete", "half a line"])
        f.stopAndWait()

        // With a zero timeout a line without newline is handed out as it is.
        let queue2 = ChunkQueue()
        let g = follower(dir, queue2)
        g.partialLineTimeout = .zero
        g.start()
        defer { g.stopAndWait() }
        append(app, "no newline yet")
        let partial = try await Collector(queue: queue2).collect { !$0.isEmpty }
        #expect(partial.map(\.message) == ["no newline yet"])
    }

    @Test func overlongLinesAreCutAndFlagged() async throws {
        let dir = TempDirectory()
        let app = dir.write("app.log", "")
        let queue = ChunkQueue()
        let f = follower(dir, queue)
        f.maxLineBytes = 1_000
        f.start()
        defer { f.stopAndWait() }
        append(app, String(repeating: "x", count: 50_000) + "\nafter\n")
        let records = try await Collector(queue: queue).collect { $0.count >= 2 }
        #expect(records.map(\.message.count) == [1_000, 5])
        #expect(records[0].flags.contains(.truncated))
    }

    @Test func restartResumesAtTheCheckpointAndDetectsAReusedInode() async throws {
        let dir = TempDirectory()
        let app = dir.write("app.log", "")
        let queue = ChunkQueue()
        let f = follower(dir, queue)
        f.start()
        append(app, "one\ntwo\n")
        let (_, checkpoints) = try await Collector(queue: queue).collectWithCheckpoints { $0.count >= 2 }
        f.stopAndWait()
        let saved = checkpoints["file:\(app)"]
        #expect(saved != nil)

        append(app, "three (written while crier was down)\n")
        let queue2 = ChunkQueue()
        let g = follower(dir, queue2, checkpoint: saved)
        g.start()
        let resumed = try await Collector(queue: queue2).collect { !$0.isEmpty }
        g.stopAndWait()
        #expect(resumed.map(\.message) == ["three (written while crier was down)"])

        // Same path, different content at the head: a new file, read from 0.
        try FileManager.default.removeItem(atPath: app)
        dir.write("app.log", "brand new file\n")
        let queue3 = ChunkQueue()
        let h = follower(dir, queue3, checkpoint: saved)
        h.start()
        defer { h.stopAndWait() }
        let fresh = try await Collector(queue: queue3).collect { !$0.isEmpty }
        #expect(fresh.map(\.message) == ["brand new file"])
    }
}

@Suite struct JournalRotationTests {
    @Test(.enabled(if: journalRemoteInstalled))
    func followerKeepsGoingWhenFilesAreAddedAndVacuumed() async throws {
        let dir = TempDirectory()
        let base: Int64 = 1_795_428_000_000_000
        try JournalFixture.write([.text("in the first file", realtime: base, index: 1)], to: dir.path)
        let queue = ChunkQueue()
        var config = JournalSourceConfig()
        config.directory = dir.path
        config.start = .head
        let follower = try JournalFollower(config: config, checkpoint: nil, queue: queue)
        follower.start()
        defer { follower.stopAndWait() }
        var records = try await Collector(queue: queue).collect { !$0.isEmpty }
        // Rotation: journald starts a new file (same directory, new name), then the old one
        // is vacuumed away.
        let rotated = "\(dir.path)/rotated"
        try JournalFixture.write([.text("in the rotated file", realtime: base + 10, index: 2)], to: rotated)
        try FileManager.default.moveItem(atPath: "\(rotated)/remote.journal", toPath: "\(dir.path)/system@rotated.journal")
        try FileManager.default.removeItem(atPath: "\(dir.path)/remote.journal")
        records = try await Collector(queue: queue).collect({ $0.count >= 2 }, into: records)
        #expect(records.map(\.message) == ["in the first file", "in the rotated file"])
    }
}
