/// Counters of the match stage, reported by replay and exported as metrics. Everything is
/// counted here, from the events the stage returns.
public struct MatchStats: Sendable {
    /// Records after folding (a traceback folded into its owner is part of one record).
    public var records = 0
    public var matched = 0
    public var missed = 0
    /// Hits per rule, indexed like `RuleSet.rules`.
    public var ruleHits: [Int]
    /// Matches abandoned at PCRE2's backtracking limit, per rule.
    public var regexLimitHits: [Int]
    /// Tracebacks seen on matched records or standing alone (folded from lines or carried
    /// in a JSON/journal message).
    public var tracebacks = 0
    /// Records whose bytes were not all UTF-8 (among those that left the hot path).
    public var invalidUTF8 = 0

    public init(ruleCount: Int) {
        ruleHits = Array(repeating: 0, count: ruleCount)
        regexLimitHits = Array(repeating: 0, count: ruleCount)
    }

    public mutating func count(_ event: MatchEvent) {
        switch event {
        case .matched(let record, let hits):
            records += 1
            matched += 1
            if record.traceback != nil { tracebacks += 1 }
            if record.flags.contains(.invalidUTF8) { invalidUTF8 += 1 }
            for hit in hits { ruleHits[hit.rule.index] += record.repeats }
        case .missed:
            records += 1
            missed += 1
        case .missedTraceback:
            records += 1
            missed += 1
            tracebacks += 1
        case .regexLimitExceeded(let rule):
            regexLimitHits[rule.index] += 1
        case .correlated:
            break
        }
    }

    /// An alert of a correlation rule (stuck, absent) counts in its rule's hits.
    public mutating func countAlert(of rule: CompiledRule) { ruleHits[rule.index] += 1 }
}
