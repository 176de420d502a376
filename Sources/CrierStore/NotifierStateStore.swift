public import CrierCore
import GRDB

/// The SQL of delivery's state per notifier: `notifier_state` (breaker, blocks, learned
/// limits, a disable) and `posted_message` (the message each group posted last, edited in
/// place). Written with the attempt that changed them (`StateStore.settle`).
enum NotifierStateStore {
    static func save(_ state: NotifierState, notifier: String, kind: NotifierKind, now: Timestamp, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO notifier_state(notifier, kind, state, updated_at) VALUES (?, ?, ?, ?)",
                       arguments: [notifier, kind.rawValue, try StoredJSON.encode(state), now.microseconds])
    }

    static func savePosted(_ message: PostedMessage, notifier: String, fingerprint: Fingerprint, now: Timestamp,
                           _ db: Database) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO posted_message(notifier, fingerprint, message_id, episode_start, posted_at)
            VALUES (?, ?, ?, ?, ?)
            """, arguments: [notifier, fingerprint.description, message.id, message.episodeStart.microseconds, now.microseconds])
    }
}

extension StateStore {
    /// A notifier's saved state; nil when it has none, or when it cannot be read (reported:
    /// the notifier starts with a closed breaker and no blocks).
    public func notifierState(_ notifier: String) throws(StoreError) -> NotifierState? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT state FROM notifier_state WHERE notifier = ?", arguments: [notifier])
                .flatMap { decoded(NotifierState.self, $0, what: "the delivery state of \(notifier) (it starts afresh)") }
        }
    }

    public func saveNotifierState(_ notifier: String, kind: NotifierKind, _ state: NotifierState,
                                  now: Timestamp) throws(StoreError) {
        try write { db in try NotifierStateStore.save(state, notifier: notifier, kind: kind, now: now, db) }
    }

    /// Every saved state (`crier status`, `/metrics`); unreadable ones are left out.
    public func allNotifierStates() throws(StoreError) -> [(notifier: String, kind: String, state: NotifierState, updatedAt: Timestamp)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT notifier, kind, state, updated_at FROM notifier_state ORDER BY notifier").compactMap { row in
                let name: String = row["notifier"]
                guard let state = decoded(NotifierState.self, row["state"], what: "the delivery state of \(name)") else { return nil }
                return (name, row["kind"], state, Timestamp(microseconds: row["updated_at"]))
            }
        }
    }
}
