import CrierCore
import CrierTestSupport
import Foundation
import GRDB
import Testing

@testable import CrierStore

/// The outbox through the store's real API, checked against the SQLite file itself.
@Suite struct OutboxStoreTests {
    let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10)

    func batch(_ group: UInt64, rule: String = "celery.task_failed", reason: BatchReason = .first) -> AlertBatch {
        let alert = Alert(rule: rule, severity: .error, title: "Task failed (group \(group))", body: "boom",
                          fingerprint: Fingerprint(value: group), timestamp: t0)
        return AlertBatch(fingerprint: Fingerprint(value: group), rule: rule, severity: .error, labels: [], reason: reason,
                          alerts: [alert], count: 1, firstSeen: t0, lastSeen: t0, decidedAt: t0, episodeCount: 1, episodeStart: t0)
    }

    func entry(_ b: AlertBatch, kind: OutboxMessageKind = .alert, members: [AlertBatch] = []) -> OutboxEntry {
        OutboxEntry(notifier: "ops", notifierKind: .discord, kind: kind, batch: b, members: members, payload: "{}")
    }

    func sql(_ dir: TempDirectory, _ query: String) throws -> [Row] {
        try DatabaseQueue(path: "\(dir.path)/crier.db").read { try Row.fetchAll($0, sql: query) }
    }

    func execute(_ dir: TempDirectory, _ statement: String) throws {
        try DatabaseQueue(path: "\(dir.path)/crier.db").write { try $0.execute(sql: statement) }
    }

    @Test func statusesAndKindsAreStoredAsTheNamesHistoryShows() {
        #expect(OutboxStatus.allCases.map(\.rawValue) == ["pending", "retrying", "rate_limited", "delivered", "dead", "merged"])
        #expect(OutboxMessageKind.allCases.map(\.rawValue) == ["alert", "storm_summary", "digest", "test"])
    }

    @Test func storedJSONCarriesItsVersionBesideTheValuesOwnKeys() throws {
        let dir = TempDirectory()
        let store = try StateStore(directory: dir.path)
        var changes = StateStore.Changes(now: t0)
        changes.checkpoints = [("journal", .journal(cursor: "s=1"))]
        changes.outbox = [entry(batch(1))]
        try store.commit(changes)
        var state = NotifierState()
        state.lastError = "HTTP 500"
        try store.saveNotifierState("ops", kind: .discord, state, now: t0)
        let row = try #require(try sql(dir, "SELECT json_extract(batch, '$.version') AS v, json_extract(batch, '$.rule') AS rule FROM outbox").first)
        #expect(row["v"] == 1 && row["rule"] == "celery.task_failed")
        let position = try #require(try sql(dir, "SELECT json_extract(position, '$.version') AS v, json_extract(position, '$.journal.cursor') AS c FROM source_checkpoint").first)
        #expect(position["v"] == 1 && position["c"] == "s=1")
        let saved = try #require(try sql(dir, "SELECT json_extract(state, '$.version') AS v, json_extract(state, '$.lastError') AS e FROM notifier_state").first)
        #expect(saved["v"] == 1 && saved["e"] == "HTTP 500")
        // Read back as written.
        #expect(try store.checkpoint(source: "journal") == .journal(cursor: "s=1"))
        #expect(try store.notifierState("ops") == state)
        #expect(try store.outboxHead(notifier: "ops").rows.first?.batch == batch(1))
    }

    /// The names a stored batch uses: a renamed property must not change what older rows say.
    @Test func aStoredBatchKeepsItsNames() throws {
        var b = batch(1)
        b.previousMessageAt = t0
        b.facets = [FacetCount("queued", 2, noun: "task", plural: "tasks")]
        b.alerts[0].traceback = Traceback(text: "Traceback (most recent call last):\nValueError: x")
        b.alerts[0].position = .replay(line: 7)
        let json = try #require(parseJSON(try StoredJSON.encode(b)) as? [String: Any])
        #expect(Set(json.keys) == ["version", "fingerprint", "rule", "severity", "labels", "reason", "alerts", "count",
                                   "firstSeen", "lastSeen", "decidedAt", "episodeCount", "episodeStart", "previousMessageAt",
                                   "facets"])
        let alert = try #require((json["alerts"] as? [[String: Any]])?.first)
        #expect(Set(alert.keys) == ["rule", "severity", "title", "body", "fields", "labels", "fingerprint", "timestamp",
                                    "excerpt", "traceback", "source", "position", "flags"])
        #expect(Set((alert["traceback"] as? [String: Any] ?? [:]).keys) == ["text", "lineCount", "exceptionType", "exceptionMessage"])
        #expect((alert["position"] as? [String: [String: Int]]) == ["replay": ["line": 7]])
        #expect((json["firstSeen"] as? [String: Int]) == ["microseconds": Int(t0.microseconds)])
        #expect((json["fingerprint"] as? [String: Int]) == ["value": 1])
        let checkpoint = try #require(parseJSON(try StoredJSON.encode(SourceCheckpoint.file(
            path: "/a", device: 1, inode: 2, offset: 3, headFingerprint: 4, headLength: 5))) as? [String: Any])
        #expect(Set((checkpoint["file"] as? [String: Any] ?? [:]).keys) == ["path", "device", "inode", "offset", "headFingerprint", "headLength"])
        let state = try #require(parseJSON(try StoredJSON.encode(NotifierState())) as? [String: Any])
        #expect(Set(state.keys) == ["version", "breaker"], "nil values are left out")
        #expect(Set((state["breaker"] as? [String: Any] ?? [:]).keys) == ["threshold", "openFor", "state"])
    }

    @Test func anUnreadableWaitingRowIsReportedApartNeverAFailure() throws {
        let dir = TempDirectory()
        let store = try StateStore(directory: dir.path)
        var changes = StateStore.Changes(now: t0)
        changes.outbox = [entry(batch(1)), entry(batch(2)), entry(batch(3))]
        try store.commit(changes)
        try execute(dir, "UPDATE outbox SET batch = json_set(batch, '$.rule', 5) WHERE id = 2")
        try execute(dir, "UPDATE outbox SET batch = json_set(batch, '$.version', 9) WHERE id = 3")
        let head = try store.outboxHead(notifier: "ops")
        #expect(head.rows.map(\.id) == [1])
        #expect(head.unreadable.map(\.id) == [2, 3])
        #expect(head.unreadable[0].problem.contains("unexpected value at .rule"), "\(head.unreadable[0].problem)")
        #expect(head.unreadable[1].problem.contains("written by a newer crier (format version 9"), "\(head.unreadable[1].problem)")
        // Dead-lettered with its reason, history says why.
        let (update, _) = DeliveryPlanner.burial(of: head.unreadable[1])
        try store.update(3, update)
        let row = try #require(try store.history(status: .dead).first)
        #expect(row.id == 3 && row.lastError?.hasPrefix("unreadable: written by a newer crier") == true)
        #expect(row.attempts == 0)
    }

    @Test func unreadableRestoredStateIsSkippedAndReported() throws {
        let dir = TempDirectory()
        var changes = StateStore.Changes(now: t0)
        changes.checkpoints = [("file:/a.log", .journal(cursor: "x")), ("journal", .journal(cursor: "y"))]
        var digest = DigestState(windowStart: t0, nextDue: t0 + .seconds(86_400))
        digest.occurrences = 7
        changes.digests = ["daily": digest]
        do { try StateStore(directory: dir.path).commit(changes) }
        try execute(dir, "UPDATE source_checkpoint SET position = 'not json' WHERE source = 'file:/a.log'")
        try execute(dir, "INSERT INTO alert_group(fingerprint, rule, state, updated_at) VALUES ('00000000000000aa', 'r', '{}', 0)")
        try execute(dir, "INSERT INTO notifier_state(notifier, kind, state, updated_at) VALUES ('ops', 'discord', '[1]', 0)")
        let store = try StateStore(directory: dir.path)
        #expect(try store.checkpoint(source: "file:/a.log") == nil)
        #expect(try store.checkpoint(source: "journal") == .journal(cursor: "y"))
        #expect(try store.loadGroups().isEmpty)
        #expect(try store.notifierState("ops") == nil)
        #expect(try store.loadDigests() == ["daily": digest])
        let problems = store.takeProblems()
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.contains("the checkpoint of file:/a.log (it is read from the start)") && $0.contains("crier.db") })
        #expect(problems.contains { $0.contains("the state of group 00000000000000aa (it starts afresh)") })
        #expect(store.takeProblems().isEmpty, "each problem is reported once")
    }

    @Test func aFoldReplacesItsSourcesAndKeepsASummarysGroups() throws {
        let dir = TempDirectory()
        let store = try StateStore(directory: dir.path)
        var changes = StateStore.Changes(now: t0)
        changes.outbox = (1...3).map { entry(batch(UInt64($0))) }
        let ids = try store.commit(changes)
        let groups = (1...3).map { batch(UInt64($0)) }
        let summary = StormControl.summary(groups)
        let id = try store.fold(ids, into: entry(summary, kind: .stormSummary, members: groups), now: t0)
        let head = try store.outboxHead(notifier: "ops")
        #expect(head.rows.map(\.id) == [id])
        #expect(head.rows[0].kind == .stormSummary && head.rows[0].members == groups)
        let merged = try sql(dir, "SELECT status, merged_into FROM outbox WHERE id IN (1, 2, 3)")
        #expect(merged.allSatisfy { $0["status"] == "merged" && $0["merged_into"] == id })
        #expect(try store.history(status: .merged).count == 3)
        #expect(try store.waitingCount(notifier: "ops") == 1)
    }

    @Test func migrationFourRecoversTheGroupsOfASummaryWrittenBefore() throws {
        let dir = TempDirectory()
        // A version 3 database as crier wrote it: a waiting summary folded from three rows.
        let queue = try DatabaseQueue(path: "\(dir.path)/crier.db")
        try StateSchema.migrator.migrate(queue, upTo: "v3")
        let encoder = JSONEncoder()
        func json(_ b: AlertBatch) throws -> String { String(decoding: try encoder.encode(b), as: UTF8.self) }
        let groups = (1...3).map { batch(UInt64($0)) }
        let summary = StormControl.summary(groups)
        try queue.write { db in
            for (i, b) in (groups + [summary]).enumerated() {
                try db.execute(sql: """
                    INSERT INTO outbox(created_at, notifier, notifier_kind, rule, severity, fingerprint, reason, count, first_seen,
                                       last_seen, decided_at, title, payload, batch, status, merged_into)
                    VALUES (0, 'ops', 'discord', ?, 'error', ?, ?, ?, 0, 0, 0, 't', '{}', ?, ?, ?)
                    """, arguments: [b.rule, b.fingerprint.description, b.reason.rawValue, b.count, try json(b),
                                     i < 3 ? "merged" : "retrying", i < 3 ? 4 : nil])
            }
            try db.execute(sql: """
                INSERT INTO outbox(created_at, notifier, notifier_kind, rule, severity, fingerprint, reason, count, first_seen,
                                   last_seen, decided_at, title, payload, batch)
                VALUES (0, 'ops', 'discord', 'crier.test', 'info', 'ff', 'first', 1, 0, 0, 0, 't', '{}', ?)
                """, arguments: [try json(batch(9, rule: "crier.test"))])
        }
        let store = try StateStore(directory: dir.path)
        let head = try store.outboxHead(notifier: "ops")
        #expect(head.unreadable.isEmpty)
        #expect(head.rows.map(\.kind) == [.stormSummary, .test])
        #expect(head.rows[0].members == groups)
    }
}
