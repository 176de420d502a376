public import CrierCore
import GRDB

/// One message for one notifier, to be written to the outbox.
public struct OutboxEntry: Sendable {
    public var notifier: String
    public var notifierKind: NotifierKind
    public var kind: OutboxMessageKind
    public var batch: AlertBatch
    /// A storm summary's groups (see `StormControl.Merge.members`).
    public var members: [AlertBatch]
    /// What history shows: the message's headline.
    public var title: String
    /// The exact body to send, as the notifier rendered it.
    public var payload: String

    /// The one way a message becomes an outbox row (the live commit, `replay --send`, a storm
    /// fold, `send-test`): the title is always the batch's headline.
    public init(notifier: String, notifierKind: NotifierKind, kind: OutboxMessageKind, batch: AlertBatch,
                members: [AlertBatch] = [], payload: String) {
        self.notifier = notifier
        self.notifierKind = notifierKind
        self.kind = kind
        self.batch = batch
        self.members = members
        self.title = BatchSummary.headline(batch)
        self.payload = payload
    }
}

/// One row of delivery history (`crier history`, `/api/v1/history`).
public struct HistoryRow: Sendable {
    public var id: Int64
    public var notifier: String
    public var kind: OutboxMessageKind?
    public var rule: String
    public var severity: String
    public var reason: String
    public var count: Int
    public var title: String
    public var status: OutboxStatus?
    /// The stored status text (an unknown one, from a newer crier, is shown as it is).
    public var statusText: String
    public var attempts: Int
    public var createdAt: Timestamp
    public var deliveredAt: Timestamp?
    public var responseStatus: Int?
    public var responseMillis: Int?
    public var lastError: String?
}

/// Delivery figures for `crier stats` and the digest's health lines.
public struct DeliveryStats: Sendable {
    /// Rows per notifier and status.
    public var byNotifier: [String: [OutboxStatus: Int]] = [:]
    /// Response times of delivered rows per notifier, ascending.
    public var responseMillis: [String: [Int]] = [:]
    /// Occurrences per rule and per severity (merged rows are counted in what they merged into).
    public var byRule: [String: Int] = [:]
    public var bySeverity: [String: Int] = [:]
}

/// All SQL of the `outbox` table (and its `posted_message` neighbour, read with it).
enum Outbox {
    static let waiting = OutboxStatus.sqlList(OutboxStatus.waiting)

    static func insert(_ entry: OutboxEntry, createdAt: Timestamp, _ db: Database) throws -> Int64 {
        let b = entry.batch
        try db.execute(sql: """
            INSERT INTO outbox(created_at, notifier, notifier_kind, message_kind, rule, severity, fingerprint, reason, count,
                               first_seen, last_seen, decided_at, title, payload, batch, members, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [createdAt.microseconds, entry.notifier, entry.notifierKind.rawValue, entry.kind.rawValue, b.rule,
                             b.severity.rawValue, b.fingerprint.description, b.reason.rawValue, b.count,
                             b.firstSeen.microseconds, b.lastSeen.microseconds, b.decidedAt.microseconds, entry.title,
                             entry.payload, try StoredJSON.encode(b),
                             entry.members.isEmpty ? nil : try StoredJSON.encode(Members(groups: entry.members)),
                             OutboxStatus.pending.rawValue])
        return db.lastInsertedRowID
    }

    /// A summary's groups as stored in `members`.
    struct Members: Codable {
        var groups: [AlertBatch]
        enum CodingKeys: String, CodingKey { case groups }
    }

    /// Migration v4: a waiting summary written before members were stored gets them from the
    /// rows merged into it (and, for a summary folded into a summary, from that one's).
    static func recoverSummaryMembers(_ db: Database) throws {
        let summaries = try Int64.fetchAll(db, sql: """
            SELECT id FROM outbox WHERE message_kind = '\(OutboxMessageKind.stormSummary.rawValue)' AND status IN (\(waiting))
            """)
        for summary in summaries {
            var groups: [String] = []
            var frontier = [summary]
            while let id = frontier.popLast() {
                for row in try Row.fetchAll(db, sql: "SELECT id, message_kind, batch FROM outbox WHERE merged_into = ? ORDER BY id",
                                            arguments: [id]) {
                    if row["message_kind"] == OutboxMessageKind.stormSummary.rawValue { frontier.append(row["id"]) } else {
                        groups.append(row["batch"])
                    }
                }
            }
            guard !groups.isEmpty else { continue }
            // The stored batches are JSON objects already: the array is assembled as text.
            try db.execute(sql: "UPDATE outbox SET members = ? WHERE id = ?",
                           arguments: ["{\"version\":\(StoredJSON.version),\"groups\":[\(groups.joined(separator: ","))]}", summary])
        }
    }
}

extension StateStore {
    // MARK: Delivery

    /// The waiting rows of a notifier, oldest first, with the message each group posted last;
    /// rows that cannot be decoded come back apart, with the reason.
    public func outboxHead(notifier: String, limit: Int = 500) throws(StoreError)
        -> (rows: [PendingDelivery], unreadable: [UnreadableRow])
    {
        try read { db in
            var rows: [PendingDelivery] = []
            var unreadable: [UnreadableRow] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT o.id, o.message_kind, o.batch, o.members, o.payload, o.status, o.attempts, o.created_at,
                       o.next_attempt_at, p.message_id, p.episode_start
                FROM outbox o LEFT JOIN posted_message p ON p.notifier = o.notifier AND p.fingerprint = o.fingerprint
                WHERE o.notifier = ? AND o.status IN (\(Outbox.waiting)) ORDER BY o.id LIMIT ?
                """, arguments: [notifier, limit]) {
                let id: Int64 = row["id"]
                do {
                    guard let kind = OutboxMessageKind(rawValue: row["message_kind"]),
                          let status = OutboxStatus(rawValue: row["status"]) else {
                        throw StoreError("unknown kind '\(row["message_kind"] ?? "")' or status '\(row["status"] ?? "")'")
                    }
                    let members = try (row["members"] as String?).map { try StoredJSON.decode(Outbox.Members.self, $0).groups }
                    let posted = (row["message_id"] as String?).map {
                        PostedMessage(id: $0, episodeStart: Timestamp(microseconds: row["episode_start"]))
                    }
                    rows.append(PendingDelivery(
                        id: id, kind: kind, batch: try StoredJSON.decode(AlertBatch.self, row["batch"]), members: members ?? [],
                        payload: row["payload"], status: status, attempts: row["attempts"],
                        createdAt: Timestamp(microseconds: row["created_at"]),
                        nextAttemptAt: (row["next_attempt_at"] as Int64?).map(Timestamp.init(microseconds:)), posted: posted))
                } catch let error as StoreError {
                    unreadable.append(UnreadableRow(id: id, problem: error.message))
                } catch {
                    unreadable.append(UnreadableRow(id: id, problem: StoredJSON.problem(error)))
                }
            }
            return (rows, unreadable)
        }
    }

    /// Rows a notifier still owes (pending, retrying, rate limited).
    public func waitingCount(notifier: String) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE notifier = ? AND status IN (\(Outbox.waiting))",
                             arguments: [notifier]) ?? 0
        }
    }

    /// An expiry or an unreadable row: the row changes, nothing else.
    public func update(_ id: Int64, _ update: OutboxUpdate) throws(StoreError) {
        try write { db in try Outbox.apply(update, to: id, db) }
    }

    /// An attempt's settlement, in one transaction: the row, the notifier's state, and the
    /// message a group posted (for edits in place).
    public func settle(_ id: Int64, _ update: OutboxUpdate, notifier: String, kind: NotifierKind, state: NotifierState,
                       posted: (fingerprint: Fingerprint, message: PostedMessage)?, now: Timestamp) throws(StoreError) {
        try write { db in
            try Outbox.apply(update, to: id, db)
            try NotifierStateStore.save(state, notifier: notifier, kind: kind, now: now, db)
            if let posted {
                try NotifierStateStore.savePosted(posted.message, notifier: notifier, fingerprint: posted.fingerprint, now: now, db)
            }
        }
    }

    /// Replaces `sources` with one new waiting row (storm control), in one transaction.
    @discardableResult
    public func fold(_ sources: [Int64], into entry: OutboxEntry, now: Timestamp) throws(StoreError) -> Int64 {
        try write { db in
            let id = try Outbox.insert(entry, createdAt: now, db)
            for source in sources {
                try db.execute(sql: "UPDATE outbox SET status = ?, merged_into = ? WHERE id = ? AND status IN (\(Outbox.waiting))",
                               arguments: [OutboxStatus.merged.rawValue, id, source])
            }
            return id
        }
    }

    /// Deletes delivered, dead and merged rows older than `before` (history retention).
    @discardableResult
    public func pruneHistory(before: Timestamp) throws(StoreError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM outbox WHERE status IN (\(OutboxStatus.sqlList([.delivered, .dead, .merged]))) AND created_at < ?",
                           arguments: [before.microseconds])
            return db.changesCount
        }
    }

    // MARK: Reading history

    /// Counts per status, over all notifiers (`crier status`).
    public func outboxCounts() throws(StoreError) -> [OutboxStatus: Int] {
        try outboxCountsByNotifier().values.reduce(into: [:]) { total, counts in total.merge(counts, uniquingKeysWith: +) }
    }

    /// Counts per notifier and status (`/metrics`, `/api/v1/status`).
    public func outboxCountsByNotifier() throws(StoreError) -> [String: [OutboxStatus: Int]] {
        try read { db in
            var counts: [String: [OutboxStatus: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT notifier, status, COUNT(*) AS n FROM outbox GROUP BY notifier, status") {
                guard let status = OutboxStatus(rawValue: row["status"]) else { continue }
                counts[row["notifier"] as String, default: [:]][status] = row["n"] as Int
            }
            return counts
        }
    }

    public func history(notifier: String? = nil, status: OutboxStatus? = nil, since: Timestamp? = nil,
                        limit: Int = 100) throws(StoreError) -> [HistoryRow] {
        try read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let notifier { conditions.append("notifier = ?"); arguments.append(notifier) }
            if let status { conditions.append("status = ?"); arguments.append(status.rawValue) }
            if let since { conditions.append("created_at >= ?"); arguments.append(since.microseconds) }
            arguments.append(limit)
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: """
                SELECT id, notifier, message_kind, rule, severity, reason, count, title, status, attempts, created_at,
                       delivered_at, response_status, response_ms, last_error
                FROM outbox \(whereClause) ORDER BY id DESC LIMIT ?
                """, arguments: StatementArguments(arguments)).map { row in
                HistoryRow(id: row["id"], notifier: row["notifier"], kind: OutboxMessageKind(rawValue: row["message_kind"]),
                           rule: row["rule"], severity: row["severity"], reason: row["reason"], count: row["count"],
                           title: row["title"], status: OutboxStatus(rawValue: row["status"]), statusText: row["status"],
                           attempts: row["attempts"], createdAt: Timestamp(microseconds: row["created_at"]),
                           deliveredAt: (row["delivered_at"] as Int64?).map(Timestamp.init(microseconds:)),
                           responseStatus: row["response_status"], responseMillis: row["response_ms"],
                           lastError: row["last_error"])
            }
        }
    }

    /// Rows per notifier and status; response times of delivered rows (for `crier stats`).
    public func deliveryStats(since: Timestamp?) throws(StoreError) -> DeliveryStats {
        try read { db in
            let cutoff = since?.microseconds ?? 0
            var stats = DeliveryStats()
            for row in try Row.fetchAll(db, sql: "SELECT notifier, status, COUNT(*) AS n FROM outbox WHERE created_at >= ? GROUP BY notifier, status",
                                        arguments: [cutoff]) {
                guard let status = OutboxStatus(rawValue: row["status"]) else { continue }
                stats.byNotifier[row["notifier"], default: [:]][status] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT notifier, response_ms FROM outbox
                WHERE status = '\(OutboxStatus.delivered.rawValue)' AND response_ms IS NOT NULL AND created_at >= ? ORDER BY response_ms
                """, arguments: [cutoff]) {
                stats.responseMillis[row["notifier"], default: []].append(row["response_ms"])
            }
            let counted = "status != '\(OutboxStatus.merged.rawValue)' AND created_at >= ?"
            for row in try Row.fetchAll(db, sql: "SELECT rule, SUM(count) AS n FROM outbox WHERE \(counted) GROUP BY rule",
                                        arguments: [cutoff]) {
                stats.byRule[row["rule"]] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT severity, SUM(count) AS n FROM outbox WHERE \(counted) GROUP BY severity",
                                        arguments: [cutoff]) {
                stats.bySeverity[row["severity"]] = row["n"]
            }
            return stats
        }
    }
}

extension Outbox {
    static func apply(_ update: OutboxUpdate, to id: Int64, _ db: Database) throws {
        try db.execute(sql: """
            UPDATE outbox SET status = ?, attempts = attempts + ?, next_attempt_at = ?, last_error = ?,
                              response_status = COALESCE(?, response_status), response_ms = COALESCE(?, response_ms),
                              delivered_at = COALESCE(?, delivered_at), message_id = COALESCE(?, message_id)
            WHERE id = ?
            """, arguments: [update.status.rawValue, update.countsAsAttempt ? 1 : 0, update.nextAttemptAt?.microseconds,
                             update.lastError, update.responseStatus, update.responseMillis,
                             update.deliveredAt?.microseconds, update.messageID, id])
    }
}
