public import CrierCore
import Foundation
import GRDB

/// What a delivery worker keeps about its notifier between attempts and across restarts.
public struct NotifierState: Codable, Sendable, Equatable {
    public var breaker = CircuitBreaker()
    /// No request before this (a 429, or `X-RateLimit-Remaining: 0` until its reset).
    public var blockedUntil: Timestamp?
    public var learned: LearnedLimit?
    /// Set by 401/403/404/410: the webhook is wrong or gone; nothing is sent until the
    /// configured URL changes.
    public var disabledReason: String?
    /// Hash of the URL the disable applies to (a new URL re-enables the notifier).
    public var disabledURLHash: String?
    public var lastSuccess: Timestamp?
    public var lastFailure: Timestamp?
    public var lastError: String?

    public init() {}
}

/// A row a worker is about to deliver.
public struct PendingDelivery: Sendable {
    public var id: Int64
    public var batch: AlertBatch
    public var payload: String
    public var status: String
    public var attempts: Int
    public var createdAt: Timestamp
    public var nextAttemptAt: Timestamp?
}

/// One row of delivery history (`crier history`).
public struct HistoryRow: Sendable {
    public var id: Int64
    public var notifier: String
    public var rule: String
    public var severity: String
    public var reason: String
    public var count: Int
    public var title: String
    public var status: String
    public var attempts: Int
    public var createdAt: Timestamp
    public var deliveredAt: Timestamp?
    public var responseStatus: Int?
    public var responseMillis: Int?
    public var lastError: String?
}

extension StateStore {
    /// Rows not yet delivered or dead, oldest first.
    public func pendingDeliveries(notifier: String, limit: Int = 500) throws(StoreError) -> [PendingDelivery] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, batch, payload, status, attempts, created_at, next_attempt_at FROM outbox
                WHERE notifier = ? AND status IN ('pending', 'retrying', 'rate_limited') ORDER BY id LIMIT ?
                """, arguments: [notifier, limit]).map { row in
                PendingDelivery(id: row["id"], batch: try StateStore.decode(AlertBatch.self, row["batch"]), payload: row["payload"],
                                status: row["status"], attempts: row["attempts"],
                                createdAt: Timestamp(microseconds: row["created_at"]),
                                nextAttemptAt: (row["next_attempt_at"] as Int64?).map(Timestamp.init(microseconds:)))
            }
        }
    }

    public func pendingCount(notifier: String) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE notifier = ? AND status IN ('pending', 'retrying', 'rate_limited')",
                             arguments: [notifier]) ?? 0
        }
    }

    /// The result of one attempt.
    public struct Attempt: Sendable {
        public var status: String
        public var nextAttemptAt: Timestamp?
        public var lastError: String?
        public var responseStatus: Int?
        public var responseMillis: Int?
        public var deliveredAt: Timestamp?
        public var messageID: String?
        public var countsAsAttempt = true

        public init(status: String) { self.status = status }
    }

    public func record(_ attempt: Attempt, for id: Int64) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                UPDATE outbox SET status = ?, attempts = attempts + ?, next_attempt_at = ?, last_error = ?,
                                  response_status = COALESCE(?, response_status), response_ms = COALESCE(?, response_ms),
                                  delivered_at = COALESCE(?, delivered_at), message_id = COALESCE(?, message_id)
                WHERE id = ?
                """, arguments: [attempt.status, attempt.countsAsAttempt ? 1 : 0, attempt.nextAttemptAt?.microseconds,
                                 attempt.lastError, attempt.responseStatus, attempt.responseMillis,
                                 attempt.deliveredAt?.microseconds, attempt.messageID, id])
        }
    }

    /// Replaces `sources` with one new pending row (storm control), in one transaction.
    @discardableResult
    public func merge(_ sources: [Int64], into entry: OutboxEntry, now: Timestamp) throws(StoreError) -> Int64 {
        try write { db in
            let b = entry.batch
            try db.execute(sql: """
                INSERT INTO outbox(created_at, notifier, notifier_kind, rule, severity, fingerprint, reason, count,
                                   first_seen, last_seen, decided_at, title, payload, batch)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [now.microseconds, entry.notifier, entry.kind, b.rule, b.severity.rawValue,
                                 b.fingerprint.description, b.reason.rawValue, b.count, b.firstSeen.microseconds,
                                 b.lastSeen.microseconds, b.decidedAt.microseconds, entry.title, entry.payload,
                                 try StateStore.encode(b)])
            let id = db.lastInsertedRowID
            for source in sources {
                try db.execute(sql: "UPDATE outbox SET status = 'merged', merged_into = ? WHERE id = ? AND status IN ('pending', 'retrying', 'rate_limited')",
                               arguments: [id, source])
            }
            return id
        }
    }

    // MARK: Messages edited in place

    public func postedMessage(notifier: String, fingerprint: Fingerprint) throws(StoreError) -> (id: String, episodeStart: Timestamp)? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT message_id, episode_start FROM posted_message WHERE notifier = ? AND fingerprint = ?",
                             arguments: [notifier, fingerprint.description]).map {
                ($0["message_id"], Timestamp(microseconds: $0["episode_start"]))
            }
        }
    }

    public func savePostedMessage(notifier: String, fingerprint: Fingerprint, id: String, episodeStart: Timestamp,
                                  now: Timestamp) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO posted_message(notifier, fingerprint, message_id, episode_start, posted_at)
                VALUES (?, ?, ?, ?, ?)
                """, arguments: [notifier, fingerprint.description, id, episodeStart.microseconds, now.microseconds])
        }
    }

    // MARK: Notifier state

    public func notifierState(_ notifier: String) throws(StoreError) -> NotifierState? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT state FROM notifier_state WHERE notifier = ?", arguments: [notifier])
                .map { try StateStore.decode(NotifierState.self, $0) }
        }
    }

    public func saveNotifierState(_ notifier: String, kind: String, _ state: NotifierState, now: Timestamp) throws(StoreError) {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO notifier_state(notifier, kind, state, updated_at) VALUES (?, ?, ?, ?)",
                           arguments: [notifier, kind, try StateStore.encode(state), now.microseconds])
        }
    }

    public func allNotifierStates() throws(StoreError) -> [(notifier: String, kind: String, state: NotifierState, updatedAt: Timestamp)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT notifier, kind, state, updated_at FROM notifier_state ORDER BY notifier").map {
                ($0["notifier"], $0["kind"], try StateStore.decode(NotifierState.self, $0["state"]), Timestamp(microseconds: $0["updated_at"]))
            }
        }
    }

    // MARK: History

    /// Deletes delivered, dead and merged rows older than `before` (history retention).
    @discardableResult
    public func pruneHistory(before: Timestamp) throws(StoreError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM outbox WHERE status IN ('delivered', 'dead', 'merged') AND created_at < ?",
                           arguments: [before.microseconds])
            return db.changesCount
        }
    }

    public func history(notifier: String? = nil, status: String? = nil, since: Timestamp? = nil,
                        limit: Int = 100) throws(StoreError) -> [HistoryRow] {
        try read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let notifier { conditions.append("notifier = ?"); arguments.append(notifier) }
            if let status { conditions.append("status = ?"); arguments.append(status) }
            if let since { conditions.append("created_at >= ?"); arguments.append(since.microseconds) }
            arguments.append(limit)
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: """
                SELECT id, notifier, rule, severity, reason, count, title, status, attempts, created_at, delivered_at,
                       response_status, response_ms, last_error
                FROM outbox \(whereClause) ORDER BY id DESC LIMIT ?
                """, arguments: StatementArguments(arguments)).map { row in
                HistoryRow(id: row["id"], notifier: row["notifier"], rule: row["rule"], severity: row["severity"],
                           reason: row["reason"], count: row["count"], title: row["title"], status: row["status"],
                           attempts: row["attempts"], createdAt: Timestamp(microseconds: row["created_at"]),
                           deliveredAt: (row["delivered_at"] as Int64?).map(Timestamp.init(microseconds:)),
                           responseStatus: row["response_status"], responseMillis: row["response_ms"],
                           lastError: row["last_error"])
            }
        }
    }

    /// Rows per notifier and status; response times of delivered rows (for `crier stats`).
    public func deliveryStats(since: Timestamp?) throws(StoreError)
        -> (byNotifier: [String: [String: Int]], responseMillis: [String: [Int]], byRule: [String: Int], bySeverity: [String: Int])
    {
        try read { db in
            let cutoff = since?.microseconds ?? 0
            var byNotifier: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT notifier, status, COUNT(*) AS n FROM outbox WHERE created_at >= ? GROUP BY notifier, status",
                                        arguments: [cutoff]) {
                byNotifier[row["notifier"], default: [:]][row["status"]] = row["n"]
            }
            var times: [String: [Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT notifier, response_ms FROM outbox WHERE status = 'delivered' AND response_ms IS NOT NULL AND created_at >= ? ORDER BY response_ms",
                                        arguments: [cutoff]) {
                times[row["notifier"], default: []].append(row["response_ms"])
            }
            var byRule: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT rule, SUM(count) AS n FROM outbox WHERE status != 'merged' AND created_at >= ? GROUP BY rule",
                                        arguments: [cutoff]) {
                byRule[row["rule"]] = row["n"]
            }
            var bySeverity: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT severity, SUM(count) AS n FROM outbox WHERE status != 'merged' AND created_at >= ? GROUP BY severity",
                                        arguments: [cutoff]) {
                bySeverity[row["severity"]] = row["n"]
            }
            return (byNotifier, times, byRule, bySeverity)
        }
    }
}
