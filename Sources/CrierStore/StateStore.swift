public import CrierCore
import Foundation
import GRDB

/// The state database, `state_dir/crier.db`: SQLite through GRDB, in WAL mode.
///
/// Schema (version 1; every durable format is written here before it is used, and changed
/// only by a new numbered migration):
///
/// * `meta(key, value)`: `schema` (the last migration), `created_at`.
/// * `source_checkpoint(source PK, position JSON, updated_at µs)`: where each source resumes;
///   `position` is a `SourceCheckpoint`.
/// * `alert_group(fingerprint PK hex, rule, state JSON, updated_at µs)`: the aggregator's
///   state per group (`Aggregator<Alert>.GroupState`): counts, samples, timers.
/// * `held_record(stream PK, snapshot JSON)`: records waiting for their traceback
///   (`HeldStreamSnapshot`).
/// * `outbox(id PK, created_at, notifier, notifier_kind, rule, severity, fingerprint, reason,
///   count, first_seen, last_seen, decided_at, title, payload JSON, batch JSON, status,
///   attempts, next_attempt_at, last_error, response_ms, delivered_at)`: one row per message
///   per notifier. `payload` is the exact body to send; `batch` the `AlertBatch` it was
///   rendered from. `status` is `pending`, `retrying` (DESIGN's `failed`: tried again at `next_attempt_at`), `rate_limited`, `delivered` or `dead`.
///   Times are microseconds since the epoch.
///
/// Version 2 (delivery):
///
/// * `outbox` gains `response_status`, `message_id` (what Discord called the message) and
///   `merged_into` (the row a storm merge folded this one into; such rows have status `merged`).
/// * `posted_message(notifier, fingerprint PK, message_id, episode_start, posted_at)`: the
///   last message of each group per notifier, edited in place while its burst continues.
/// * `notifier_state(notifier PK, kind, state JSON, updated_at)`: breaker, learned limits,
///   blocks and a disabled reason (`NotifierState`), for the worker after a restart and for
///   `crier status`.
///
/// Version 3 (correlation):
///
/// * `correlation_key(rule, key, state JSON, updated_at)`, primary key (rule, key): the open
///   keys of stuck-task rules (`OpenKey`: start time, deadline, start record, captures, when
///   reported stuck).
/// * `correlation_rule(rule PK, state JSON, updated_at)`: per-rule state
///   (`CorrelationRuleState`: absence bookkeeping, starts not tracked over `max_open`).
/// * `digest_state(name PK, state JSON, updated_at)`: what each digest has counted since
///   it was last sent, and when it is due next (`DigestState`).
///
/// The checkpoint, the group state, the held records and the new outbox rows of one batch
/// of records are written in one transaction (`commit`), so after `kill -9` crier resumes
/// from a state where every record before the checkpoint is fully accounted for.
public final class StateStore: Sendable {
    public let path: String
    let pool: DatabasePool
    static let fileName = "crier.db"

    /// Opens (creating if needed) `directory/crier.db`.
    /// - Parameter reset: move an existing database aside (never delete it) and start empty.
    public init(directory: String, reset: Bool = false) throws(StoreError) {
        path = "\(directory)/\(StateStore.fileName)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError("cannot create the state directory \(directory): \(error.localizedDescription)")
        }
        if reset { try StateStore.moveAside(path) }
        var config = Configuration()
        config.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a crash of crier (not of the machine's power)
            // without an fsync per batch.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        config.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            let migrator = StateStore.migrator
            try pool.read { db in
                if try migrator.hasBeenSuperseded(db) {
                    throw StoreError("the state file \(path) was written by a newer crier (schema "
                        + "\(try migrator.appliedIdentifiers(db).sorted().last ?? "?")); refusing to touch it. "
                        + "Upgrade crier, or start over with --reset-state (the old file is kept as a backup)")
                }
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("the state file \(path) cannot be used (\(StateStore.describe(error))); it may be damaged. "
                + "Move it aside, or start over with --reset-state (the old file is kept as a backup)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE source_checkpoint (source TEXT PRIMARY KEY, position TEXT NOT NULL,
                                                updated_at INTEGER NOT NULL);
                CREATE TABLE alert_group (fingerprint TEXT PRIMARY KEY, rule TEXT NOT NULL, state TEXT NOT NULL,
                                          updated_at INTEGER NOT NULL);
                CREATE TABLE held_record (stream TEXT PRIMARY KEY, snapshot TEXT NOT NULL);
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    created_at INTEGER NOT NULL,
                    notifier TEXT NOT NULL,
                    notifier_kind TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    decided_at INTEGER NOT NULL,
                    title TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    batch TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER,
                    last_error TEXT,
                    response_ms INTEGER,
                    delivered_at INTEGER);
                CREATE INDEX outbox_by_notifier_status ON outbox(notifier, status, id);
                """)
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('created_at', ?)",
                           arguments: [String(Int64(Date().timeIntervalSince1970 * 1_000_000))])
        }
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN response_status INTEGER;
                ALTER TABLE outbox ADD COLUMN message_id TEXT;
                ALTER TABLE outbox ADD COLUMN merged_into INTEGER;
                CREATE INDEX outbox_by_created ON outbox(created_at);
                CREATE TABLE posted_message (notifier TEXT NOT NULL, fingerprint TEXT NOT NULL, message_id TEXT NOT NULL,
                                             episode_start INTEGER NOT NULL, posted_at INTEGER NOT NULL,
                                             PRIMARY KEY (notifier, fingerprint));
                CREATE TABLE notifier_state (notifier TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,
                                             updated_at INTEGER NOT NULL);
                """)
        }
        m.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE correlation_key (rule TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL,
                                              updated_at INTEGER NOT NULL, PRIMARY KEY (rule, key));
                CREATE TABLE correlation_rule (rule TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL);
                CREATE TABLE digest_state (name TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL);
                """)
        }
        return m
    }

    static func moveAside(_ path: String) throws(StoreError) {
        let fm = FileManager.default
        guard fm.fileExists(atPath: path) else { return }
        let stamp = Int(Date().timeIntervalSince1970)
        for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: path + suffix) {
            do {
                try fm.moveItem(atPath: path + suffix, toPath: "\(path).reset-\(stamp)\(suffix)")
            } catch {
                throw StoreError("cannot move the old state file \(path)\(suffix) aside: \(error.localizedDescription)")
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return "SQLite: \(e.message ?? "\(e.resultCode)")" }
        return "\(error)"
    }

    // MARK: - Reading state at start

    public func checkpoint(source: String) throws(StoreError) -> SourceCheckpoint? {
        try read { db in
            guard let json = try String.fetchOne(db, sql: "SELECT position FROM source_checkpoint WHERE source = ?",
                                                 arguments: [source]) else { return nil }
            return try StateStore.decode(SourceCheckpoint.self, json)
        }
    }

    public func loadGroups() throws(StoreError) -> [(Fingerprint, Aggregator<Alert>.GroupState)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT fingerprint, state FROM alert_group").compactMap { row in
                guard let fp = Fingerprint(hex: row["fingerprint"]) else { return nil }
                return (fp, try StateStore.decode(Aggregator<Alert>.GroupState.self, row["state"]))
            }
        }
    }

    public func loadHeld() throws(StoreError) -> [HeldStreamSnapshot] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT snapshot FROM held_record ORDER BY stream").map {
                try StateStore.decode(HeldStreamSnapshot.self, $0)
            }
        }
    }

    public func loadCorrelation() throws(StoreError) -> (open: [(rule: String, key: OpenKey)],
                                                         rules: [(rule: String, state: CorrelationRuleState)]) {
        try read { db in
            let open = try Row.fetchAll(db, sql: "SELECT rule, state FROM correlation_key ORDER BY rule, key").map { row in
                (rule: row["rule"] as String, key: try StateStore.decode(OpenKey.self, row["state"]))
            }
            let rules = try Row.fetchAll(db, sql: "SELECT rule, state FROM correlation_rule ORDER BY rule").map { row in
                (rule: row["rule"] as String, state: try StateStore.decode(CorrelationRuleState.self, row["state"]))
            }
            return (open, rules)
        }
    }

    public func loadDigests() throws(StoreError) -> [String: String] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, state FROM digest_state").map {
                ($0["name"] as String, $0["state"] as String)
            })
        }
    }

    // MARK: - The batch transaction

    /// Everything one batch of records changed.
    public struct Changes: Sendable {
        public var checkpoints: [(source: String, position: SourceCheckpoint)] = []
        public var groups: [(Fingerprint, Aggregator<Alert>.GroupState)] = []
        public var forgottenGroups: [Fingerprint] = []
        /// The full set of held records now (replaces the stored set); nil leaves it alone.
        public var held: [HeldStreamSnapshot]?
        public var outbox: [OutboxEntry] = []
        public var correlation = Correlator.Changes()
        /// Digest states by name, as JSON (`DigestState`, owned by the runtime).
        public var digests: [String: String] = [:]
        public var now: Timestamp

        public init(now: Timestamp) { self.now = now }

        public var isEmpty: Bool {
            checkpoints.isEmpty && groups.isEmpty && forgottenGroups.isEmpty && held == nil && outbox.isEmpty
                && correlation.isEmpty && digests.isEmpty
        }
    }

    /// Writes `changes` in one transaction; returns the new outbox ids in order.
    @discardableResult
    public func commit(_ changes: Changes) throws(StoreError) -> [Int64] {
        if changes.isEmpty { return [] }
        let now = changes.now.microseconds
        return try write { db in
            for (source, position) in changes.checkpoints {
                try db.execute(sql: """
                    INSERT INTO source_checkpoint(source, position, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(source) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
                    """, arguments: [source, try StateStore.encode(position), now])
            }
            for (fp, state) in changes.groups {
                try db.execute(sql: """
                    INSERT INTO alert_group(fingerprint, rule, state, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(fingerprint) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [fp.description, state.info.rule, try StateStore.encode(state), now])
            }
            for fp in changes.forgottenGroups {
                try db.execute(sql: "DELETE FROM alert_group WHERE fingerprint = ?", arguments: [fp.description])
            }
            if let held = changes.held {
                try db.execute(sql: "DELETE FROM held_record")
                for snapshot in held {
                    try db.execute(sql: "INSERT OR REPLACE INTO held_record(stream, snapshot) VALUES (?, ?)",
                                   arguments: [String(snapshot.stream, radix: 16), try StateStore.encode(snapshot)])
                }
            }
            for (rule, entry) in changes.correlation.upserted {
                try db.execute(sql: """
                    INSERT INTO correlation_key(rule, key, state, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(rule, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [rule, entry.key, try StateStore.encode(entry), now])
            }
            for (rule, key) in changes.correlation.removed {
                try db.execute(sql: "DELETE FROM correlation_key WHERE rule = ? AND key = ?", arguments: [rule, key])
            }
            for (rule, state) in changes.correlation.rules {
                try db.execute(sql: """
                    INSERT INTO correlation_rule(rule, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(rule) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [rule, try StateStore.encode(state), now])
            }
            for (name, state) in changes.digests {
                try db.execute(sql: """
                    INSERT INTO digest_state(name, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [name, state, now])
            }
            var ids: [Int64] = []
            for entry in changes.outbox {
                let b = entry.batch
                try db.execute(sql: """
                    INSERT INTO outbox(created_at, notifier, notifier_kind, rule, severity, fingerprint, reason, count,
                                       first_seen, last_seen, decided_at, title, payload, batch)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [now, entry.notifier, entry.kind, b.rule, b.severity.rawValue, b.fingerprint.description,
                                     b.reason.rawValue, b.count, b.firstSeen.microseconds, b.lastSeen.microseconds,
                                     b.decidedAt.microseconds, entry.title, entry.payload, try StateStore.encode(b)])
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    // MARK: - Outbox

    public func pendingOutbox(notifiers: [String], limit: Int = 100) throws(StoreError) -> [OutboxRow] {
        guard !notifiers.isEmpty else { return [] }
        return try read { db in
            let marks = notifiers.map { _ in "?" }.joined(separator: ",")
            return try Row.fetchAll(db, sql: """
                SELECT id, notifier, notifier_kind, rule, reason, count, title, payload, status, attempts, created_at
                FROM outbox WHERE notifier IN (\(marks)) AND status IN ('pending', 'retrying', 'rate_limited')
                ORDER BY id LIMIT ?
                """, arguments: StatementArguments(notifiers + [String(limit)])).map(OutboxRow.init)
        }
    }

    public func markDelivered(_ id: Int64, at: Timestamp, responseMillis: Int? = nil) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                UPDATE outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1, response_ms = ?
                WHERE id = ?
                """, arguments: [at.microseconds, responseMillis, id])
        }
    }

    /// Counts per status, for `crier status` and tests.
    public func outboxCounts() throws(StoreError) -> [String: Int] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
                .map { ($0["status"] as String, $0["n"] as Int) })
        }
    }

    /// Counts per notifier and status (`/metrics`, `/api/v1/status`).
    public func outboxCountsByNotifier() throws(StoreError) -> [String: [String: Int]] {
        try read { db in
            var counts: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT notifier, status, COUNT(*) AS n FROM outbox GROUP BY notifier, status") {
                counts[row["notifier"] as String, default: [:]][row["status"] as String] = row["n"] as Int
            }
            return counts
        }
    }

    /// Every outbox row (tests, `crier history`).
    public func allOutbox() throws(StoreError) -> [OutboxRow] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, notifier, notifier_kind, rule, reason, count, title, payload, status, attempts, created_at
                FROM outbox ORDER BY id
                """).map(OutboxRow.init)
        }
    }

    // MARK: - Helpers

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch let e as StoreError { throw e } catch {
            throw StoreError("reading \(path): \(StateStore.describe(error))")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch let e as StoreError { throw e } catch {
            throw StoreError("writing \(path): \(StateStore.describe(error))")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }
}

/// One message for one notifier, to be written to the outbox.
public struct OutboxEntry: Sendable {
    public var notifier: String
    public var kind: String
    public var batch: AlertBatch
    public var title: String
    /// The exact JSON body.
    public var payload: String

    public init(notifier: String, kind: String, batch: AlertBatch, title: String, payload: String) {
        self.notifier = notifier
        self.kind = kind
        self.batch = batch
        self.title = title
        self.payload = payload
    }
}

public struct OutboxRow: Sendable, Hashable {
    public var id: Int64
    public var notifier: String
    public var kind: String
    public var rule: String
    public var reason: String
    public var count: Int
    public var title: String
    public var payload: String
    public var status: String
    public var attempts: Int
    public var createdAt: Timestamp

    init(_ row: Row) {
        id = row["id"]
        notifier = row["notifier"]
        kind = row["notifier_kind"]
        rule = row["rule"]
        reason = row["reason"]
        count = row["count"]
        title = row["title"]
        payload = row["payload"]
        status = row["status"]
        attempts = row["attempts"]
        createdAt = Timestamp(microseconds: row["created_at"])
    }
}

/// A state database problem, said so that a user knows what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
