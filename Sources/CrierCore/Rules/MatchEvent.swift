/// What the match stage decided, in the order the pipeline applies it.
///
/// Indirect: a record that no rule matches is `.missed`, one word with no payload, so the
/// buffer of events costs neither an allocation nor a copy of a record on the hot path;
/// the cases that carry a record box it (they built the record anyway).
public indirect enum MatchEvent {
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
