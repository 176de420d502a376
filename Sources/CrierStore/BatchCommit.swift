public import CrierCore
import GRDB

/// The batch transaction (DESIGN §1) and what it restores at start: checkpoints, group
/// state, held records, correlation and digest state. A stored value that cannot be read is
/// reported (`takeProblems`) and skipped: its group, key or digest starts afresh, and a
/// source without a readable checkpoint is read as if new. Never a startup failure.
extension StateStore {
    /// Everything one batch of records changed.
    public struct Changes: Sendable {
        public var checkpoints: [(source: String, position: SourceCheckpoint)] = []
        public var groups: [(Fingerprint, Aggregator<Alert>.GroupState)] = []
        public var forgottenGroups: [Fingerprint] = []
        /// The full set of held records now (replaces the stored set); nil leaves it alone.
        public var held: [HeldStreamSnapshot]?
        public var outbox: [OutboxEntry] = []
        public var correlation = Correlator.Changes()
        /// Digest states by name.
        public var digests: [String: DigestState] = [:]
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
                    """, arguments: [source, try StoredJSON.encode(position), now])
            }
            for (fp, state) in changes.groups {
                try db.execute(sql: """
                    INSERT INTO alert_group(fingerprint, rule, state, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(fingerprint) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [fp.description, state.info.rule, try StoredJSON.encode(state), now])
            }
            for fp in changes.forgottenGroups {
                try db.execute(sql: "DELETE FROM alert_group WHERE fingerprint = ?", arguments: [fp.description])
            }
            if let held = changes.held {
                try db.execute(sql: "DELETE FROM held_record")
                for snapshot in held {
                    try db.execute(sql: "INSERT OR REPLACE INTO held_record(stream, snapshot) VALUES (?, ?)",
                                   arguments: [String(snapshot.stream, radix: 16), try StoredJSON.encode(snapshot)])
                }
            }
            for (rule, entry) in changes.correlation.upserted {
                try db.execute(sql: """
                    INSERT INTO correlation_key(rule, key, state, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(rule, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [rule, entry.key, try StoredJSON.encode(entry), now])
            }
            for (rule, key) in changes.correlation.removed {
                try db.execute(sql: "DELETE FROM correlation_key WHERE rule = ? AND key = ?", arguments: [rule, key])
            }
            for (rule, state) in changes.correlation.rules {
                try db.execute(sql: """
                    INSERT INTO correlation_rule(rule, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(rule) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [rule, try StoredJSON.encode(state), now])
            }
            for (name, state) in changes.digests {
                try db.execute(sql: """
                    INSERT INTO digest_state(name, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [name, try StoredJSON.encode(state), now])
            }
            return try changes.outbox.map { try Outbox.insert($0, createdAt: changes.now, db) }
        }
    }

    // MARK: - Reading state at start

    public func checkpoint(source: String) throws(StoreError) -> SourceCheckpoint? {
        try read { db in
            guard let json = try String.fetchOne(db, sql: "SELECT position FROM source_checkpoint WHERE source = ?",
                                                 arguments: [source]) else { return nil }
            return decoded(SourceCheckpoint.self, json, what: "the checkpoint of \(source) (it is read from the start)")
        }
    }

    public func loadGroups() throws(StoreError) -> [(Fingerprint, Aggregator<Alert>.GroupState)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT fingerprint, state FROM alert_group").compactMap { row in
                guard let fp = Fingerprint(hex: row["fingerprint"]),
                      let state = decoded(Aggregator<Alert>.GroupState.self, row["state"],
                                          what: "the state of group \(row["fingerprint"] ?? "") (it starts afresh)") else { return nil }
                return (fp, state)
            }
        }
    }

    public func loadHeld() throws(StoreError) -> [HeldStreamSnapshot] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT stream, snapshot FROM held_record ORDER BY stream").compactMap {
                decoded(HeldStreamSnapshot.self, $0["snapshot"], what: "a record held for its traceback (stream \($0["stream"] ?? ""))")
            }
        }
    }

    public func loadCorrelation() throws(StoreError) -> (open: [(rule: String, key: OpenKey)],
                                                         rules: [(rule: String, state: CorrelationRuleState)]) {
        try read { db in
            let open = try Row.fetchAll(db, sql: "SELECT rule, key, state FROM correlation_key ORDER BY rule, key").compactMap { row in
                decoded(OpenKey.self, row["state"], what: "open key \(row["key"] ?? "") of \(row["rule"] ?? "")")
                    .map { (rule: row["rule"] as String, key: $0) }
            }
            let rules = try Row.fetchAll(db, sql: "SELECT rule, state FROM correlation_rule ORDER BY rule").compactMap { row in
                decoded(CorrelationRuleState.self, row["state"], what: "the state of \(row["rule"] ?? "")")
                    .map { (rule: row["rule"] as String, state: $0) }
            }
            return (open, rules)
        }
    }

    public func loadDigests() throws(StoreError) -> [String: DigestState] {
        try read { db in
            var digests: [String: DigestState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, state FROM digest_state") {
                let name: String = row["name"]
                digests[name] = decoded(DigestState.self, row["state"], what: "the counts of digest \(name) (they start afresh)")
            }
            return digests
        }
    }

    /// The value, or nil after reporting why it was skipped.
    func decoded<T: Decodable>(_ type: T.Type, _ json: String, what: String) -> T? {
        do { return try StoredJSON.decode(type, json) } catch {
            report("\(path): skipped \(what): \(StoredJSON.problem(error))")
            return nil
        }
    }
}
