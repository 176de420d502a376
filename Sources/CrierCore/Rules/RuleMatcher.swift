/// A rule that fired on a record, with its captures as text.
public struct RuleHit: Sendable {
    public let rule: CompiledRule
    public let captures: [Capture]

    public init(rule: CompiledRule, captures: [Capture]) {
        self.rule = rule
        self.captures = captures
    }
}

/// A correlation rule's `start`, `end` or `expect` that matched a record.
public struct CorrelationHit: Sendable {
    public enum Role: Sendable { case start, end, expect }
    public let rule: CompiledRule
    public let role: Role
    public let captures: [Capture]
}

/// Which matchers a record is offered to.
public enum MatchScope: Sendable {
    /// Rules and the `start`, `end` and `expect` of correlation rules: a record as read.
    case rulesAndCorrelation
    /// Rules only: a traceback without owner, matched once folded. Correlation rules never
    /// see tracebacks (they did not see its first line either).
    case rulesOnly
}

/// What `RuleMatcher` found on one record. Owned by the caller and reused from record to
/// record, so that a record no rule matches costs no allocation; `ownedRules()` and
/// `ownedCorrelations()` copy the hits out when a record keeps them.
public struct RecordHits {
    public internal(set) var rules: [RuleHit] = []
    public internal(set) var correlations: [CorrelationHit] = []
    /// Rules whose pattern gave up at PCRE2's backtracking limit (taken as no match).
    public internal(set) var limitExceeded: [CompiledRule] = []

    public init() {}

    public var isEmpty: Bool { rules.isEmpty && correlations.isEmpty && limitExceeded.isEmpty }

    mutating func removeAll() {
        if !rules.isEmpty { rules.removeAll(keepingCapacity: true) }
        if !correlations.isEmpty { correlations.removeAll(keepingCapacity: true) }
        if !limitExceeded.isEmpty { limitExceeded.removeAll(keepingCapacity: true) }
    }

    /// The rule hits in storage of their own (the buffer stays here for the next record).
    public func ownedRules() -> [RuleHit] {
        var out: [RuleHit] = []
        out.reserveCapacity(rules.count)
        out.append(contentsOf: rules)
        return out
    }

    public func ownedCorrelations() -> [CorrelationHit] {
        var out: [CorrelationHit] = []
        out.reserveCapacity(correlations.count)
        out.append(contentsOf: correlations)
        return out
    }
}

/// Evaluates, in one pass per record, every rule's matcher and every correlation rule's
/// `start`, `end` and `expect`: selectors, then PCRE2.
///
/// Each matcher is a slot: the rules' matchers in rule order, then the correlation matchers.
/// A record goes through two steps. A scan names the candidate slots (`CandidateSet`);
/// today that is `LiteralCandidateScan`, which rules out a slot whose pattern needs literals
/// the message lacks. Then each candidate, in slot order, is confirmed: its selectors, then
/// its regex without the prefilter. A multi-pattern scan (Vectorscan in prefilter mode,
/// naming the patterns whose literals occur) fills the same `CandidateSet` in place of the
/// literal scan; confirmation stays as it is.
///
/// Not thread-safe: it owns PCRE2 match data. One per pipeline.
public final class RuleMatcher {
    public let rules: RuleSet
    /// Keeps the matchers alive for as long as `slots` refers to them unretained.
    private let matchers: [RuleMatchers]
    /// The same matchers as unretained references: the per-record loop would otherwise
    /// spend more time on reference counting than on matching.
    private let slots: ContiguousArray<MatchSlot>
    /// Slots below this index are rule matchers, the rest correlation matchers.
    private let ruleSlotCount: Int
    private let scan: LiteralCandidateScan
    /// Plain memory with non-mutating methods: a `let`, so no exclusivity check per use.
    private let candidates: CandidateSet

    public init(rules: RuleSet, scratch: RegexScratch = RegexScratch()) {
        self.rules = rules
        var matchers = rules.matchRules.map { RuleMatchers(rule: $0, role: nil, matcher: $0.matcher, scratch: scratch) }
        ruleSlotCount = matchers.count
        for rule in rules.rules where rule.kind != .match {
            for (role, matcher) in [(CorrelationHit.Role.start, rule.start), (.end, rule.end), (.expect, rule.expect)] {
                if let matcher { matchers.append(RuleMatchers(rule: rule, role: role, matcher: matcher, scratch: scratch)) }
            }
        }
        self.matchers = matchers
        slots = ContiguousArray(matchers.map { m in
            MatchSlot(matchers: Unmanaged.passUnretained(m), regex: m.regex.map { Unmanaged.passUnretained($0) },
                      hasSelectors: !m.selectors.isEmpty)
        })
        scan = LiteralCandidateScan(patterns: matchers.map { $0.regex?.regex })
        candidates = CandidateSet(slotCount: matchers.count, always: scan.unfilteredSlots)
    }

    deinit { candidates.deallocate() }

    /// Every matcher that fires on `view`, into `hits` (emptied first): rule hits in rule
    /// order, correlation hits in rule and `start`/`end`/`expect` order.
    public func match(_ view: RecordView, scope: MatchScope = .rulesAndCorrelation, into hits: inout RecordHits) {
        hits.removeAll()
        let end = scope == .rulesAndCorrelation ? slots.count : ruleSlotCount
        candidates.reset()
        scan.scan(view.message, slotsBelow: end, into: candidates)
        slots.withUnsafeBufferPointer { buffer in
            for w in 0..<candidates.wordCount {
                var word = candidates.word(w)
                while word != 0 {
                    let index = w << 6 | word.trailingZeroBitCount
                    word &= word &- 1
                    guard index < end else { return }
                    confirm(buffer[index], index: index, view, into: &hits)
                }
            }
        }
    }

    /// A candidate's selectors, then its regex (whose literals the scan has found already).
    @inline(__always)
    private func confirm(_ slot: MatchSlot, index: Int, _ view: RecordView, into hits: inout RecordHits) {
        if slot.hasSelectors && !slot.matchers._withUnsafeGuaranteedRef({ $0.selectorsMatch(view) }) { return }
        if let regex = slot.regex {
            switch regex._withUnsafeGuaranteedRef({ $0.confirm(view.message) }) {
            case .match: break
            case .noMatch, .failed: return
            case .limitExceeded:
                hits.limitExceeded.append(slot.matchers._withUnsafeGuaranteedRef { $0.rule })
                return
            }
        }
        slot.matchers._withUnsafeGuaranteedRef { m in
            if index < ruleSlotCount {
                hits.rules.append(RuleHit(rule: m.rule, captures: m.captures()))
            } else if let role = m.role {
                hits.correlations.append(CorrelationHit(rule: m.rule, role: role, captures: m.captures()))
            }
        }
    }
}

struct MatchSlot {
    let matchers: Unmanaged<RuleMatchers>
    let regex: Unmanaged<RegexMatcher>?
    let hasSelectors: Bool
}

/// The PCRE2 matchers of one slot (its regex and any regex selectors), owned by one matcher.
final class RuleMatchers {
    let rule: CompiledRule
    /// nil for a rule's own matcher; the part of a correlation rule otherwise.
    let role: CorrelationHit.Role?
    let regex: RegexMatcher?
    let selectors: [(field: FieldName, equals: [[UInt8]], regex: RegexMatcher?)]

    init(rule: CompiledRule, role: CorrelationHit.Role?, matcher: CompiledMatcher, scratch: RegexScratch) {
        self.rule = rule
        self.role = role
        regex = matcher.regex.map { RegexMatcher($0, scratch: scratch) }
        selectors = matcher.selectors.map { selector in
            switch selector.test {
            case .equals(let values): return (selector.field, values, nil)
            case .regex(let r): return (selector.field, [], RegexMatcher(r, scratch: scratch))
            }
        }
    }

    @inline(__always)
    func selectorsMatch(_ view: RecordView) -> Bool {
        for selector in selectors {
            guard let value = view.value(of: selector.field) else { return false }
            if let regex = selector.regex {
                if regex.match(value) != .match { return false }
            } else if !selector.equals.contains(where: { candidate in
                candidate.withUnsafeBytes { memcmpEqual($0, value) }
            }) {
                return false
            }
        }
        return true
    }

    /// The named captures of the last successful regex match.
    func captures() -> [Capture] {
        guard let regex else { return [] }
        var out: [Capture] = []
        out.reserveCapacity(regex.regex.captureNames.count)
        for (name, group) in regex.regex.captureNames {
            if let bytes = regex.bytes(ofGroup: group) { out.append(Capture(name, bytes.lossyString)) }
        }
        return out
    }
}
