/// What the match stage decided, in the order the pipeline applies it.
public enum MatchEvent {
    /// Rules fired on a record (its traceback attached, if any).
    case matched(LogRecord, [RuleHit])
    /// Correlation rules start, end or expect a record. Comes before the record's own rule
    /// hits, which may wait for a traceback.
    case correlated(LogRecord, [CorrelationHit])
    /// No rule fired on the record given to `process`: its view, as `process` left it, is
    /// the caller's (nothing is built for it).
    case missed
    /// No rule fired on a traceback that had no owner.
    case missedTraceback(LogRecord)
    /// A rule's pattern gave up at PCRE2's backtracking limit on a record.
    case regexLimitExceeded(CompiledRule)
}

/// The pipeline's match stage: folds tracebacks (`TracebackFolder`), matches what stands
/// alone (`RuleMatcher`) and turns both into `MatchEvent`s appended to the caller's buffer.
/// The buffers here and the caller's are reused, so a record that no rule matches costs no
/// allocation.
///
/// Not thread-safe: its matcher owns PCRE2 match data. One per pipeline.
public final class MatchStage {
    /// Stamped on records: the input being read.
    public var source: String
    private var folder = TracebackFolder()
    private let matcher: RuleMatcher
    private var hits = RecordHits()
    private var released: [FoldRelease] = []

    public init(rules: RuleSet, source: String) {
        matcher = RuleMatcher(rules: rules)
        self.source = source
    }

    public var rules: RuleSet { matcher.rules }

    /// Whether held records or open tracebacks are waiting.
    public var hasHeldRecords: Bool { folder.hasHeldRecords }

    /// When the longest-waiting held record is due for release.
    public var nextHoldDeadline: Timestamp? { folder.nextHoldDeadline }

    /// `view` is inout only to avoid copying it on the hot path; it may be edited (an
    /// embedded traceback split off its message).
    public func process(_ view: inout RecordView, now: Timestamp, into events: inout [MatchEvent]) {
        let admission = folder.admit(&view, now: now, source: source, into: &released)
        if !released.isEmpty { takeReleased(into: &events) }
        guard admission == .standsAlone else { return }
        matcher.match(view, into: &hits)
        if !hits.correlations.isEmpty { events.append(.correlated(LogRecord(view, source: source), hits.ownedCorrelations())) }
        for rule in hits.limitExceeded { events.append(.regexLimitExceeded(rule)) }
        if hits.rules.isEmpty {
            events.append(.missed)
            return
        }
        let traceback = view.traceback.isEmpty ? nil : Traceback(text: view.traceback.lossyString)
        let record = LogRecord(view, source: source, traceback: traceback)
        let ruleHits = hits.ownedRules()
        if TracebackFolder.waitsForTraceback(record, hits: ruleHits) {
            folder.hold(record, hits: ruleHits, stream: view, now: now, into: &released)
            takeReleased(into: &events)
        } else {
            events.append(.matched(record, ruleHits))
        }
    }

    /// Releases every held record and open traceback (end of input, shutdown).
    public func flush(into events: inout [MatchEvent]) {
        folder.flush(into: &released)
        takeReleased(into: &events)
    }

    /// Releases what has waited longer than the folder's hold timeout.
    public func expireHeld(now: Timestamp, into events: inout [MatchEvent]) {
        folder.expireHeld(now: now, into: &released)
        takeReleased(into: &events)
    }

    /// The held records and open tracebacks as data (saved with each checkpoint).
    public func saveHeld() -> [HeldStreamSnapshot] { folder.saveHeld() }

    /// Puts back what `saveHeld` returned (after a restart), against today's rules.
    public func restoreHeld(_ snapshots: [HeldStreamSnapshot]) {
        folder.restoreHeld(snapshots, rules: rules.rules)
    }

    private func takeReleased(into events: inout [MatchEvent]) {
        for release in released {
            switch release {
            case .owner(let record, let hits): events.append(.matched(record, hits))
            case .ownerless(let record): matchOwnerless(record, into: &events)
            }
        }
        released.removeAll(keepingCapacity: true)
    }

    /// A traceback on its own: its text is the record's message, matched like any other.
    private func matchOwnerless(_ record: LogRecord, into events: inout [MatchEvent]) {
        record.withMessageView { matcher.match($0, scope: .rulesOnly, into: &hits) }
        for rule in hits.limitExceeded { events.append(.regexLimitExceeded(rule)) }
        events.append(hits.rules.isEmpty ? .missedTraceback(record) : .matched(record, hits.ownedRules()))
    }
}
