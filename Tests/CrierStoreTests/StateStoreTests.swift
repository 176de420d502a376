import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierStore

@Suite struct StateStoreTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)

    func alert(_ n: Int) -> Alert {
        Alert(rule: "celery.task_failed", severity: .error, title: "Task failed \(n)", body: "boom",
              fingerprint: Fingerprint(value: 7), timestamp: t0)
    }

    @Test func oneTransactionHoldsCheckpointGroupsHeldAndOutbox() throws {
        let dir = TempDirectory()
        var aggregator = Aggregator<Alert>()
        let info = GroupInfo(rule: "celery.task_failed", severity: .error, labels: [Label("task", "x")], timing: .default)
        aggregator.ingest(Fingerprint(value: 7), at: t0, now: t0, info: { info }, sample: { alert(1) })
        let (changed, _) = aggregator.takeChanges()
        let batch = AlertBatch(fingerprint: Fingerprint(value: 7), rule: "celery.task_failed", severity: .error, labels: [],
                               reason: .first, alerts: [alert(1)], count: 1, firstSeen: t0, lastSeen: t0, decidedAt: t0,
                               episodeCount: 1, episodeStart: t0)
        var changes = StateStore.Changes(now: t0)
        changes.checkpoints = [("file:/var/log/app.log", .file(path: "/var/log/app.log", device: 1, inode: 42, offset: 4096,
                                                                headFingerprint: 99, headLength: 256))]
        changes.groups = changed
        changes.held = [HeldStreamSnapshot(stream: 5, record: LogRecord(source: "s", position: .replay(line: 1), timestamp: t0,
                                                                       format: .text, message: "m"),
                                           hits: [.init(rule: "celery.task_failed", captures: [Capture("task", "x")])],
                                           isOwner: true, collector: nil, classifier: nil, heldBlanks: 0, lastSeen: t0)]
        changes.outbox = [OutboxEntry(notifier: "console", notifierKind: .console, kind: .alert, batch: batch,
                                      payload: "{\"text\":\"x\"}")]
        do {
            let store = try StateStore(directory: dir.path)
            let ids = try store.commit(changes)
            #expect(ids == [1])
        }
        // Reopen: everything is there, as written.
        let store = try StateStore(directory: dir.path)
        #expect(try store.checkpoint(source: "file:/var/log/app.log") == changes.checkpoints[0].position)
        let groups = try store.loadGroups()
        #expect(groups.count == 1 && groups[0].0 == Fingerprint(value: 7))
        #expect(groups[0].1.pendingSamples == [alert(1)] && groups[0].1.flushAt == t0 + .seconds(10))
        #expect(try store.loadHeld() == changes.held)
        let pending = try store.outboxHead(notifier: "console")
        #expect(pending.rows.map(\.payload) == ["{\"text\":\"x\"}"] && pending.unreadable.isEmpty)
        #expect(pending.rows.first?.batch == batch && pending.rows.first?.kind == .alert)
        var delivered = OutboxUpdate(status: .delivered)
        delivered.deliveredAt = t0
        try store.update(pending.rows[0].id, delivered)
        #expect(try store.outboxCounts() == [.delivered: 1])
    }

    @Test func aDamagedFileIsRefusedWithAWayOut() throws {
        let dir = TempDirectory()
        dir.write("crier.db", String(repeating: "not a database ", count: 400))
        do {
            _ = try StateStore(directory: dir.path)
            Issue.record("a damaged state file must be refused")
        } catch {
            #expect(error.message.contains("\(dir.path)/crier.db"))
            #expect(error.message.contains("--reset-state"))
        }
        // --reset-state keeps the old file and starts empty.
        let store = try StateStore(directory: dir.path, reset: true)
        #expect(try store.loadGroups().isEmpty)
        let kept = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("crier.db.reset-") }
        #expect(kept.count == 1)
    }

    @Test func aNewerSchemaIsRefused() throws {
        let dir = TempDirectory()
        _ = try StateStore(directory: dir.path)
        let db = try GRDBTestHelper.open("\(dir.path)/crier.db")
        try GRDBTestHelper.markMigration(db, "v99")
        do {
            _ = try StateStore(directory: dir.path)
            Issue.record("a newer schema must be refused")
        } catch {
            #expect(error.message.contains("newer crier"))
        }
    }
}

import GRDB

enum GRDBTestHelper {
    static func open(_ path: String) throws -> DatabaseQueue { try DatabaseQueue(path: path) }
    static func markMigration(_ db: DatabaseQueue, _ id: String) throws {
        try db.write { try $0.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES (?)", arguments: [id]) }
    }
}
