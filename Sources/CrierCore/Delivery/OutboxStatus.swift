/// Where an outbox row stands. The raw values are stored in `outbox.status` and shown by
/// `crier history --status`, `/api/v1/history` and the `status` label of
/// `crier_outbox_messages`: they do not change.
public enum OutboxStatus: String, Sendable, Codable, CaseIterable {
    /// Written, not tried yet.
    case pending
    /// Failed (5xx, timeout, network); tried again at `next_attempt_at`.
    case retrying
    /// The server asked to wait (429); tried again at `next_attempt_at`.
    case rateLimited = "rate_limited"
    case delivered
    /// Refused for good, expired, or unreadable: never tried again.
    case dead
    /// Folded into another row by storm control (`merged_into`).
    case merged

    /// The states a delivery still owes something to, in SQL order.
    public static let waiting: [OutboxStatus] = [.pending, .retrying, .rateLimited]

    public var isWaiting: Bool { OutboxStatus.waiting.contains(self) }

    /// `'pending', 'retrying', 'rate_limited'`, for an SQL `IN (…)`.
    public static func sqlList(_ statuses: [OutboxStatus]) -> String {
        statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }
}

/// What an outbox row carries. Stored in `outbox.message_kind`.
public enum OutboxMessageKind: String, Sendable, Codable, CaseIterable {
    /// One group's alerts (first, burst, repeat, resolved, stuck, absent), or several
    /// messages of one group folded together by storm control.
    case alert
    /// Storm control's one message for many groups; its groups are kept beside it so that a
    /// later fold lists them again instead of folding the summary as if it were one group.
    case stormSummary = "storm_summary"
    /// A scheduled digest.
    case digest
    /// `crier send-test`.
    case test

    /// The kind of a message the pipeline decided (alerts and digests).
    public init(reason: BatchReason) {
        self = reason == .digest ? .digest : .alert
    }
}
