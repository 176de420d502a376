/// A held record or open traceback as plain data, saved with the source checkpoint so that
/// a crash between a Celery failure line and its traceback loses neither.
public struct HeldStreamSnapshot: Codable, Sendable, Equatable {
    public struct SavedHit: Codable, Sendable, Equatable {
        public var rule: String
        public var captures: [Capture]

        public init(rule: String, captures: [Capture]) {
            self.rule = rule
            self.captures = captures
        }
    }

    public var stream: UInt64
    /// The owner waiting for its traceback, or the first line of an ownerless traceback.
    public var record: LogRecord
    public var hits: [SavedHit]
    public var isOwner: Bool
    /// Present once a traceback is being folded.
    public var collector: TracebackCollector?
    public var classifier: TracebackLineClassifier?
    public var heldBlanks: Int
    public var lastSeen: Timestamp

    public init(stream: UInt64, record: LogRecord, hits: [SavedHit], isOwner: Bool, collector: TracebackCollector?,
                classifier: TracebackLineClassifier?, heldBlanks: Int, lastSeen: Timestamp) {
        self.stream = stream
        self.record = record
        self.hits = hits
        self.isOwner = isOwner
        self.collector = collector
        self.classifier = classifier
        self.heldBlanks = heldBlanks
        self.lastSeen = lastSeen
    }
}
