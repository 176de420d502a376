/// The pipeline's match stage: folds tracebacks (`TracebackFolder`), matches what stands
/// alone (`RuleMatcher`), and appends what it decided to the caller's buffer as
/// `MatchEvent`s, counting each one in `stats` as it goes. The buffers here and the
/// caller's are reused, so a record that no rule matches costs no allocation.
///
/// A value, so that the pipeline's one access to it covers a whole record (a class would
/// pay a dynamic exclusivity check per stored property touched). Not thread-safe: its
/// matcher owns PCRE2 match data. One per pipeline.
public struct MatchStage {
    /// Stamped on records: the input being read.
    public var source: String
    public private(set) var stats: MatchStats
    private var folder = TracebackFolder()
    private let matcher: RuleMatcher
    private var hits = RecordHits()
    private var released: [FoldRelease] = []

    public init(rules: RuleSet, source: String) {
        matcher = RuleMatcher(rules: rules)
        stats = MatchStats(ruleCount: rules.rules.count)
        self.source = source
    }

    public var rules: RuleSet { matcher.rules }

    /// Whether held records or open tracebacks are waiting.
    public var hasHeldRecords: Bool { folder.hasHeldRecords }

    /// When the longest-waiting held record is due for release.
    public var nextHoldDeadline: Timestamp? { mutating get { folder.nextHoldDeadline } }

    /// `view` is inout only to avoid copying it on the hot path; it may be edited (an
    /// embedded traceback split off its message).
    public mutating func process(_ view: inout RecordView, now: Timestamp, into events: inout [MatchEvent]) {
        let admission = folder.admit(&view, now: now, source: source, into: &released)
        if !released.isEmpty { takeReleased(into: &events) }
        guard admission == .standsAlone else { return }
        matcher.match(view, into: &hits)
        if !hits.correlations.isEmpty {
            emit(.correlated(LogRecord(view, source: source), hits.ownedCorrelations()), into: &events)
        }
        if !hits.limitExceeded.isEmpty { emitLimitsExceeded(into: &events) }
        if hits.rules.isEmpty {
            emit(.missed, into: &events)
            return
        }
        let traceback = view.traceback.isEmpty ? nil : Traceback(text: view.traceback.lossyString)
        let record = LogRecord(view, source: source, traceback: traceback)
        let ruleHits = hits.ownedRules()
        if TracebackFolder.waitsForTraceback(record, hits: ruleHits) {
            folder.hold(record, hits: ruleHits, stream: view, now: now, into: &released)
            takeReleased(into: &events)
        } else {
            emit(.matched(record, ruleHits), into: &events)
        }
    }

    /// Releases every held record and open traceback (end of input, shutdown).
    public mutating func flush(into events: inout [MatchEvent]) {
        folder.flush(into: &released)
        takeReleased(into: &events)
    }

    /// Releases what has waited longer than the folder's hold timeout.
    public mutating func expireHeld(now: Timestamp, into events: inout [MatchEvent]) {
        folder.expireHeld(now: now, into: &released)
        takeReleased(into: &events)
    }

    /// An alert of a correlation rule (stuck, absent) counts in its rule's hits.
    public mutating func countAlert(of rule: CompiledRule) { stats.countAlert(of: rule) }

    /// The held records and open tracebacks as data (saved with each checkpoint).
    public func saveHeld() -> [HeldStreamSnapshot] { folder.saveHeld() }

    /// Puts back what `saveHeld` returned (after a restart), against today's rules.
    public mutating func restoreHeld(_ snapshots: [HeldStreamSnapshot]) {
        folder.restoreHeld(snapshots, rules: rules.rules)
    }

    /// Every event leaves through here, so that each is counted once.
    private mutating func emit(_ event: MatchEvent, into events: inout [MatchEvent]) {
        stats.count(event)
        events.append(event)
    }

    private mutating func emitLimitsExceeded(into events: inout [MatchEvent]) {
        for rule in hits.limitExceeded { emit(.regexLimitExceeded(rule), into: &events) }
    }

    private mutating func takeReleased(into events: inout [MatchEvent]) {
        for release in released {
            switch release {
            case .owner(let record, let hits): emit(.matched(record, hits), into: &events)
            case .ownerless(let record): matchOwnerless(record, into: &events)
            }
        }
        released.removeAll(keepingCapacity: true)
    }

    /// A traceback on its own: its text is the record's message, matched like any other.
    private mutating func matchOwnerless(_ record: LogRecord, into events: inout [MatchEvent]) {
        record.withMessageView { matcher.match($0, scope: .rulesOnly, into: &hits) }
        if !hits.limitExceeded.isEmpty { emitLimitsExceeded(into: &events) }
        emit(hits.rules.isEmpty ? .missedTraceback(record) : .matched(record, hits.ownedRules()), into: &events)
    }
}
