import CrierCore
import Foundation
import GRDB

/// The schema of `crier.db`. Every durable format is written here before it is used, and
/// changed only by a new numbered migration.
///
/// Version 1:
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
///   rendered from. `status` is an `OutboxStatus`: `pending`, `retrying` (tried again at
///   `next_attempt_at`), `rate_limited`, `delivered`, `dead` (or `merged`, version 2).
///   Times are microseconds since the epoch.
///
/// Version 2 (delivery):
///
/// * `outbox` gains `response_status`, `message_id` (what Discord called the message) and
///   `merged_into` (the row a storm merge folded this one into; such rows have status `merged`).
/// * `posted_message(notifier, fingerprint PK, message_id, episode_start, posted_at)`: the
///   last message of each group per notifier, edited in place while its burst continues.
/// * `notifier_state(notifier PK, kind, state JSON, updated_at)`: breaker, learned limits,
///   blocks and a disabled reason (`NotifierState`), for delivery after a restart and for
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
/// Version 4 (typed outbox):
///
/// * `outbox` gains `message_kind` (an `OutboxMessageKind`: `alert`, `storm_summary`,
///   `digest`, `test`; existing rows are classified by rule and reason) and `members` (JSON,
///   storm summaries only): `{"version": 1, "groups": [AlertBatch…]}`, the groups a summary
///   stands for, so that folding it again lists them again. Waiting summaries written before
///   version 4 get theirs from the rows merged into them.
/// * Every JSON value written from version 4 on (`position`, `state`, `snapshot`, `batch`,
///   `members`) carries `"version"` beside its own keys: the format it was written in (1).
///   A value without it is format 0, the same layout. A value that cannot be read (damaged,
///   or from a newer crier) is reported in the log and skipped; a waiting outbox row that
///   cannot be read is dead-lettered with the reason in `last_error` (`crier history`).
///
/// The checkpoint, the group state, the held records and the new outbox rows of one batch
/// of records are written in one transaction (`commit`), so after `kill -9` crier resumes
/// from a state where every record before the checkpoint is fully accounted for.
enum StateSchema {
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
        m.registerMigration("v4") { db in
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN message_kind TEXT NOT NULL DEFAULT 'alert';
                ALTER TABLE outbox ADD COLUMN members TEXT;
                CREATE INDEX outbox_by_merged_into ON outbox(merged_into) WHERE merged_into IS NOT NULL;
                UPDATE outbox SET message_kind = 'storm_summary' WHERE rule = '\(StormControl.summaryRule)';
                UPDATE outbox SET message_kind = 'test' WHERE rule = 'crier.test';
                UPDATE outbox SET message_kind = 'digest' WHERE reason = 'digest';
                """)
            try Outbox.recoverSummaryMembers(db)
        }
        return m
    }
}
