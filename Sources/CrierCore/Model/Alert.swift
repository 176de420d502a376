/// A label of an alert group: a `group_by` name and its value in this alert.
public struct Label: Hashable, Sendable, Codable {
    public var name: String
    public var value: String

    /// Stored in the outbox (`StateSchema`): renaming a property must not change these.
    enum CodingKeys: String, CodingKey { case name, value }

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A rendered name/value pair shown with an alert (the rule's `fields:`).
public struct AlertField: Hashable, Sendable, Codable {
    public var name: String
    public var value: String

    /// Stored in the outbox (`StateSchema`): renaming a property must not change these.
    enum CodingKeys: String, CodingKey { case name, value }

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One rule firing on one record, with its templates rendered.
public struct Alert: Hashable, Sendable, Codable {
    /// Full rule id, `pack.rule`.
    public var rule: String
    public var severity: Severity
    public var title: String
    public var body: String
    public var fields: [AlertField]
    public var labels: [Label]
    public var fingerprint: Fingerprint
    /// Record time.
    public var timestamp: Timestamp
    /// The rule's rendered `link`, if any (a log viewer, a CI run…).
    public var link: String?
    public var host: String?
    /// The record's message, for context.
    public var excerpt: String
    public var traceback: Traceback?
    public var source: String
    public var position: RecordPosition?
    public var flags: RecordFlags

    /// Stored in the outbox (`StateSchema`): renaming a property must not change these.
    enum CodingKeys: String, CodingKey {
        case rule, severity, title, body, fields, labels, fingerprint, timestamp, link, host, excerpt, traceback, source
        case position, flags
    }

    public init(rule: String, severity: Severity, title: String, body: String, fields: [AlertField] = [],
                labels: [Label] = [], fingerprint: Fingerprint, timestamp: Timestamp, link: String? = nil,
                host: String? = nil, excerpt: String = "", traceback: Traceback? = nil, source: String = "",
                position: RecordPosition? = nil, flags: RecordFlags = []) {
        self.rule = rule
        self.severity = severity
        self.title = title
        self.body = body
        self.fields = fields
        self.labels = labels
        self.fingerprint = fingerprint
        self.timestamp = timestamp
        self.link = link
        self.host = host
        self.excerpt = excerpt
        self.traceback = traceback
        self.source = source
        self.position = position
        self.flags = flags
    }

    /// The pack part of the rule id.
    public var pack: String { String(rule.prefix { $0 != "." }) }
}

/// Why a batch is being sent. These are the only values of the `reason` metric label and of
/// `reason` in `--output jsonl`, so the set stays closed.
public enum BatchReason: String, Sendable, Codable, CaseIterable {
    /// A group's first message after `group_wait`.
    case first
    /// More occurrences of a group that already had a message, folded over `group_interval`.
    case burst
    /// A group still occurring after `repeat_interval`: a fresh message, not an edit.
    case `repeat`
    /// A correlated condition ended (a stuck task finished).
    case resolved
    /// A correlated start without its end within the timeout.
    case stuck
    /// An expected record did not appear in time.
    case absent
    /// A scheduled summary.
    case digest
}

/// What a notifier renders: one group's alerts folded into one message.
public struct AlertBatch: Hashable, Sendable, Codable {
    public var fingerprint: Fingerprint
    public var rule: String
    public var severity: Severity
    public var labels: [Label]
    public var reason: BatchReason
    /// The first alerts of this batch in full (capped); the rest are only counted.
    public var alerts: [Alert]
    /// Occurrences folded into this batch.
    public var count: Int
    /// Occurrences counted but not included in `alerts`.
    public var suppressed: Int { max(0, count - alerts.count) }
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    /// When the decision to send was taken (record time in replay).
    public var decidedAt: Timestamp
    /// Occurrences since the group's episode began, this batch included.
    public var episodeCount: Int
    public var episodeStart: Timestamp
    /// When the previous message of this episode was decided, if there was one.
    public var previousMessageAt: Timestamp?
    /// Occurrences per description when they differ ("3 in queued > 30 min, 1 in running >
    /// 2 h"); nil when the group has one kind (optional so stored batches still decode).
    public var facets: [FacetCount]?

    /// Stored in the outbox (`StateSchema`): renaming a property must not change these.
    enum CodingKeys: String, CodingKey {
        case fingerprint, rule, severity, labels, reason, alerts, count, firstSeen, lastSeen, decidedAt, episodeCount
        case episodeStart, previousMessageAt, facets
    }

    public init(fingerprint: Fingerprint, rule: String, severity: Severity, labels: [Label], reason: BatchReason,
                alerts: [Alert], count: Int, firstSeen: Timestamp, lastSeen: Timestamp, decidedAt: Timestamp,
                episodeCount: Int, episodeStart: Timestamp, previousMessageAt: Timestamp? = nil, facets: [FacetCount]? = nil) {
        self.fingerprint = fingerprint
        self.rule = rule
        self.severity = severity
        self.labels = labels
        self.reason = reason
        self.alerts = alerts
        self.count = count
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.decidedAt = decidedAt
        self.episodeCount = episodeCount
        self.episodeStart = episodeStart
        self.previousMessageAt = previousMessageAt
        self.facets = facets
    }

    public var pack: String { String(rule.prefix { $0 != "." }) }

    /// The alert a message shows first.
    public var lead: Alert? { alerts.first }
}
