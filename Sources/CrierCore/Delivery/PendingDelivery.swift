/// An outbox row a notifier still owes, as the delivery planner sees it.
public struct PendingDelivery: Sendable, Equatable {
    public var id: Int64
    public var kind: OutboxMessageKind
    public var batch: AlertBatch
    /// A storm summary's groups (one per group, counts folded); empty for other kinds.
    public var members: [AlertBatch]
    /// The exact body to send.
    public var payload: String
    public var status: OutboxStatus
    /// Attempts so far (expiry does not count).
    public var attempts: Int
    public var createdAt: Timestamp
    /// Not before this (a retry's back-off, a 429's wait); nil: at once.
    public var nextAttemptAt: Timestamp?
    /// The message this group posted last on this notifier, which a continuing burst edits.
    public var posted: PostedMessage?

    public init(id: Int64, kind: OutboxMessageKind = .alert, batch: AlertBatch, members: [AlertBatch] = [], payload: String,
                status: OutboxStatus = .pending, attempts: Int = 0, createdAt: Timestamp, nextAttemptAt: Timestamp? = nil,
                posted: PostedMessage? = nil) {
        self.id = id
        self.kind = kind
        self.batch = batch
        self.members = members
        self.payload = payload
        self.status = status
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.posted = posted
    }
}

/// The last message a group posted on a notifier (`posted_message`), for edits in place.
public struct PostedMessage: Sendable, Equatable {
    public var id: String
    /// The episode it belongs to: a new episode is a new message.
    public var episodeStart: Timestamp

    public init(id: String, episodeStart: Timestamp) {
        self.id = id
        self.episodeStart = episodeStart
    }
}

/// A waiting outbox row this crier cannot read (written by another version, or damaged):
/// it is dead-lettered with `problem` as its reason, never retried, never a startup failure.
public struct UnreadableRow: Sendable, Equatable {
    public var id: Int64
    public var problem: String

    public init(id: Int64, problem: String) {
        self.id = id
        self.problem = problem
    }
}

/// What an attempt (or an expiry) changes on its outbox row.
public struct OutboxUpdate: Sendable, Equatable {
    public var status: OutboxStatus
    public var nextAttemptAt: Timestamp?
    /// The reason shown by history: the failure, or a note on a delivered row.
    public var lastError: String?
    public var responseStatus: Int?
    public var responseMillis: Int?
    public var deliveredAt: Timestamp?
    /// What the destination called the message it created.
    public var messageID: String?
    /// False for an expiry or an unreadable row: no request was made.
    public var countsAsAttempt = true

    public init(status: OutboxStatus) { self.status = status }
}
