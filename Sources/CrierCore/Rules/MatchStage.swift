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

/// Receives what the match stage decides. Called synchronously from `MatchStage.process`.
public protocol MatchSink: AnyObject {
    /// A record that one or more rules fired on (its traceback, if any, attached).
    func matched(_ record: LogRecord, hits: [RuleHit])
    /// A record no rule fired on; only called when `wantsMissed` (the view is borrowed).
    func missed(_ view: RecordView)
    var wantsMissed: Bool { get }
    /// A record that starts, ends or is expected by correlation rules. Called before the
    /// record's own rule hits are decided (which may wait for a traceback).
    func correlated(_ record: LogRecord, hits: [CorrelationHit])
}

extension MatchSink {
    public func correlated(_ record: LogRecord, hits: [CorrelationHit]) {}
}

/// Counters of the match stage, reported by replay and exported as metrics.
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
    /// in a JSON/journal message), and the lines folded.
    public var tracebacks = 0
    public var tracebackLines = 0
    /// Records whose bytes were not all UTF-8 (among those that left the hot path).
    public var invalidUTF8 = 0

    public init(ruleCount: Int) {
        ruleHits = Array(repeating: 0, count: ruleCount)
        regexLimitHits = Array(repeating: 0, count: ruleCount)
    }
}

/// Matches records against the rule set and folds Python tracebacks into the record that
/// owns them, so that a traceback never becomes one alert per line.
///
/// Folding works per stream (same host, ident and pid; or the same file): a record matched
/// by a rule with `multiline: traceback` is held until the next line of its stream shows
/// whether a traceback follows; a traceback with no owner becomes a record of its own
/// (message = the whole traceback), which the `python` pack matches. Held records are
/// released by the next line of their stream, by `expireHeld` after `holdTimeout`, or by
/// `flush` at the end of input.
///
/// Not thread-safe: it owns PCRE2 match data. One per pipeline.
public final class MatchStage {
    public let rules: RuleSet
    /// Stamped on records: the input being read.
    public var source: String
    /// How long a record may wait for the rest of its traceback (record time in replay,
    /// wall time live). A traceback is written in one go, so this only matters when a
    /// stream goes quiet right after an owner line.
    public var holdTimeout: Duration = .seconds(2)
    /// Open streams beyond this are flushed; a guard against unbounded state.
    public var maxOpenStreams = 4_096
    public private(set) var stats: MatchStats

    private let scratch: RegexScratch
    private let ruleMatchers: [RuleMatchers]
    /// The same matchers as unretained references: the per-line loop over rules would
    /// otherwise spend more time on reference counting than on matching.
    private let slots: ContiguousArray<MatchSlot>
    private var streams: [UInt64: StreamState] = [:]
    /// `start`, `end` and `expect` of correlation rules, tried on every record.
    private let correlationMatchers: [(RuleMatchers, CorrelationHit.Role)]
    private var captureBuffer: [Capture] = []

    public init(rules: RuleSet, source: String) {
        self.rules = rules
        self.source = source
        stats = MatchStats(ruleCount: rules.rules.count)
        let scratch = RegexScratch()
        self.scratch = scratch
        ruleMatchers = rules.matchRules.map { RuleMatchers(rule: $0, matcher: $0.matcher, scratch: scratch) }
        var correlation: [(RuleMatchers, CorrelationHit.Role)] = []
        for rule in rules.rules where rule.kind != .match {
            for (role, matcher) in [(CorrelationHit.Role.start, rule.start), (.end, rule.end), (.expect, rule.expect)] {
                if let matcher { correlation.append((RuleMatchers(rule: rule, matcher: matcher, scratch: scratch), role)) }
            }
        }
        correlationMatchers = correlation
        slots = ContiguousArray(ruleMatchers.map { m in
            MatchSlot(matchers: Unmanaged.passUnretained(m), regex: m.regex.map { Unmanaged.passUnretained($0) },
                      hasSelectors: !m.selectors.isEmpty)
        })
    }

    /// Whether held records or open tracebacks are waiting.
    public var hasHeldRecords: Bool { !streams.isEmpty }

    /// When the longest-waiting held record is due for release.
    public var nextHoldDeadline: Timestamp? {
        if case .known(let deadline) = holdDeadline { return deadline }
        var earliest: Timestamp?
        for state in streams.values where earliest == nil || state.lastSeen < earliest! { earliest = state.lastSeen }
        let deadline = earliest.map { $0 + holdTimeout }
        holdDeadline = .known(deadline)
        return deadline
    }

    /// `nextHoldDeadline`, remembered until `streams` changes: the pipeline asks whenever
    /// the clock moves, which is every record while anything is held.
    private enum CachedDeadline { case unknown, known(Timestamp?) }
    private var holdDeadline = CachedDeadline.unknown

    private func setStream(_ key: UInt64, _ state: StreamState?) {
        streams[key] = state
        holdDeadline = .unknown
    }

    // MARK: - Per record

    /// `view` is inout only to avoid copying it on the hot path; it may be edited.
    public func process(_ view: inout RecordView, now: Timestamp, sink: any MatchSink) {
        if !streams.isEmpty {
            let key = streamKey(view)
            if let state = streams[key] {
                switch state {
                case .traceback(var open):
                    switch open.classifier.classify(view.message) {
                    case .absorbed:
                        open.absorbHeldBlanks()
                        open.collector.append(view.message.lossyString)
                        open.lastSeen = now
                        setStream(key, .traceback(open))
                        return
                    case .heldBlank:
                        open.heldBlanks += 1
                        open.lastSeen = now
                        setStream(key, .traceback(open))
                        return
                    case .ended:
                        setStream(key, nil)
                        finish(open, sink: sink)
                    }
                case .owner(var held):
                    setStream(key, nil)
                    if view.isSingleLineTracebackStart {
                        open(key: key, view: view, owner: held, now: now, sink: sink)
                        return
                    }
                    if TracebackLineClassifier.isStart(view.message) {
                        // The whole traceback in the next entry (a journal MESSAGE with newlines).
                        held.record.traceback = Traceback(text: view.message.lossyString)
                        stats.tracebacks += 1
                        emit(held.record, hits: held.hits, sink: sink)
                        return
                    }
                    emit(held.record, hits: held.hits, sink: sink)
                }
            }
        }
        if view.isSingleLineTracebackStart {
            open(key: streamKey(view), view: view, owner: nil, now: now, sink: sink)
            return
        }
        if view.format != .text { splitEmbeddedTraceback(&view) }
        match(view, now: now, sink: sink)
    }

    /// The held records and open tracebacks as data (saved with each checkpoint).
    public func saveHeld() -> [HeldStreamSnapshot] {
        func saved(_ hits: [RuleHit]) -> [HeldStreamSnapshot.SavedHit] {
            hits.map { .init(rule: $0.rule.id, captures: $0.captures) }
        }
        return streams.sorted { $0.key < $1.key }.compactMap { key, state in
            switch state {
            case .owner(let held):
                return HeldStreamSnapshot(stream: key, record: held.record, hits: saved(held.hits), isOwner: true,
                                          collector: nil, classifier: nil, heldBlanks: 0, lastSeen: held.lastSeen)
            case .traceback(let open):
                guard let record = open.owner?.record ?? open.header else { return nil }
                return HeldStreamSnapshot(stream: key, record: record, hits: saved(open.owner?.hits ?? []),
                                          isOwner: open.owner != nil, collector: open.collector,
                                          classifier: open.classifier, heldBlanks: open.heldBlanks,
                                          lastSeen: open.lastSeen)
            }
        }
    }

    /// Puts back what `saveHeld` returned (after a restart). Hits of rules that no longer
    /// exist are dropped; a record left with no hit is dropped with them.
    public func restoreHeld(_ snapshots: [HeldStreamSnapshot]) {
        let byID = Dictionary(rules.rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for s in snapshots {
            let hits = s.hits.compactMap { saved in byID[saved.rule].map { RuleHit(rule: $0, captures: saved.captures) } }
            if s.isOwner && hits.isEmpty { continue }
            let owner = s.isOwner ? HeldRecord(record: s.record, hits: hits, lastSeen: s.lastSeen) : nil
            if let collector = s.collector {
                var open = OpenTraceback(owner: owner, header: s.isOwner ? nil : s.record, collector: collector,
                                         firstLine: s.record.line, lastSeen: s.lastSeen)
                open.classifier = s.classifier ?? TracebackLineClassifier()
                open.heldBlanks = s.heldBlanks
                setStream(s.stream, .traceback(open))
            } else if let owner {
                setStream(s.stream, .owner(owner))
            }
        }
    }

    /// Releases every held record and open traceback (end of input, shutdown).
    public func flush(sink: any MatchSink) {
        let held = streams.values.sorted { $0.firstLine < $1.firstLine }
        streams.removeAll()
        holdDeadline = .unknown
        for state in held { release(state, sink: sink) }
    }

    /// Releases what has waited longer than `holdTimeout`.
    public func expireHeld(now: Timestamp, sink: any MatchSink) {
        let due = streams.filter { now - $0.value.lastSeen >= holdTimeout }
        for (key, state) in due.sorted(by: { $0.value.firstLine < $1.value.firstLine }) {
            setStream(key, nil)
            release(state, sink: sink)
        }
    }

    // MARK: - Matching

    /// Every rule that fires on `view`, in rule order. `ruleMatchers` keeps the objects alive
    /// for as long as `slots` refers to them.
    @inline(__always)
    private func collectHits(_ view: RecordView, present: ByteSet) -> [RuleHit] {
        var hits: [RuleHit] = []
        slots.withUnsafeBufferPointer { buffer in
            for slot in buffer {
                if slot.hasSelectors && !slot.matchers._withUnsafeGuaranteedRef({ $0.selectorsMatch(view) }) { continue }
                if let regex = slot.regex {
                    switch regex._withUnsafeGuaranteedRef({ $0.match(view.message, present: present) }) {
                    case .match:
                        hits.append(slot.matchers._withUnsafeGuaranteedRef { RuleHit(rule: $0.rule, captures: $0.captures()) })
                    case .noMatch, .failed:
                        continue
                    case .limitExceeded:
                        stats.regexLimitHits[slot.matchers._withUnsafeGuaranteedRef { $0.rule.index }] += 1
                    }
                } else {
                    hits.append(slot.matchers._withUnsafeGuaranteedRef { RuleHit(rule: $0.rule, captures: []) })
                }
            }
        }
        return hits
    }

    private func correlate(_ view: RecordView, present: ByteSet, sink: any MatchSink) {
        var hits: [CorrelationHit] = []
        for (m, role) in correlationMatchers {
            if !m.selectors.isEmpty && !m.selectorsMatch(view) { continue }
            if let regex = m.regex {
                switch regex.match(view.message, present: present) {
                case .match: hits.append(CorrelationHit(rule: m.rule, role: role, captures: m.captures()))
                case .limitExceeded: stats.regexLimitHits[m.rule.index] += 1
                case .noMatch, .failed: continue
                }
            } else {
                hits.append(CorrelationHit(rule: m.rule, role: role, captures: []))
            }
        }
        if !hits.isEmpty { sink.correlated(materialize(view, traceback: nil), hits: hits) }
    }

    /// Counts an alert of a correlation rule (stuck, absent) in its rule's hits.
    public func countAlert(of rule: CompiledRule) { stats.ruleHits[rule.index] += 1 }

    private func match(_ view: RecordView, now: Timestamp, sink: any MatchSink) {
        // The message's bytes, gathered once for the prefilters of every pattern.
        let present = ByteSet(view.message)
        if !correlationMatchers.isEmpty { correlate(view, present: present, sink: sink) }
        let hits = collectHits(view, present: present)
        if hits.isEmpty {
            stats.records += 1
            stats.missed += 1
            if sink.wantsMissed { sink.missed(view) }
            return
        }
        if !view.traceback.isEmpty { stats.tracebacks += 1 }
        let record = materialize(view, traceback: view.traceback.isEmpty ? nil : Traceback(text: view.traceback.lossyString))
        if hits.contains(where: { $0.rule.multiline == .traceback }) && record.traceback == nil {
            let key = streamKey(view)
            if let previous = streams[key] {
                setStream(key, nil)
                release(previous, sink: sink)
            }
            guardStreamLimit(sink: sink)
            setStream(key, .owner(HeldRecord(record: record, hits: hits, lastSeen: now)))
            return
        }
        emit(record, hits: hits, sink: sink)
    }

    private func emit(_ record: LogRecord, hits: [RuleHit], sink: any MatchSink) {
        stats.records += 1
        if hits.isEmpty {
            stats.missed += 1
            return
        }
        stats.matched += 1
        if record.flags.contains(.invalidUTF8) { stats.invalidUTF8 += 1 }
        for hit in hits { stats.ruleHits[hit.rule.index] += record.repeats }
        sink.matched(record, hits: hits)
    }

    // MARK: - Tracebacks

    private func open(key: UInt64, view: RecordView, owner: HeldRecord?, now: Timestamp, sink: any MatchSink) {
        var collector = TracebackCollector()
        collector.append(view.message.lossyString)
        let header = owner == nil ? materialize(view, traceback: nil) : nil
        guardStreamLimit(sink: sink)
        setStream(key, .traceback(OpenTraceback(owner: owner, header: header, collector: collector,
                                                firstLine: owner?.record.line ?? view.line, lastSeen: now)))
    }

    private func finish(_ open: OpenTraceback, sink: any MatchSink) {
        let traceback = open.collector.build()
        stats.tracebacks += 1
        stats.tracebackLines += open.collector.lineCount
        if var owner = open.owner {
            owner.record.traceback = traceback
            if open.collector.isCut { owner.record.flags.insert(.tracebackCut) }
            emit(owner.record, hits: owner.hits, sink: sink)
            return
        }
        // A traceback on its own: its text is the record's message, matched like any other.
        guard var record = open.header else { return }
        record.message = traceback.text
        record.traceback = traceback
        if open.collector.isCut { record.flags.insert(.tracebackCut) }
        var bytes = Array(traceback.text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var view = RecordView(line: record.line ?? 0, format: record.format, timestamp: record.timestamp,
                                  message: UnsafeRawBufferPointer(buffer))
            view.flags = record.flags
            let hits = collectHits(view, present: ByteSet(view.message))
            if hits.isEmpty {
                stats.records += 1
                stats.missed += 1
                if sink.wantsMissed { sink.missed(view) }
            } else {
                emit(record, hits: hits, sink: sink)
            }
        }
    }

    private func release(_ state: StreamState, sink: any MatchSink) {
        switch state {
        case .owner(let held): emit(held.record, hits: held.hits, sink: sink)
        case .traceback(let open): finish(open, sink: sink)
        }
    }

    private func guardStreamLimit(sink: any MatchSink) {
        if streams.count >= maxOpenStreams { flush(sink: sink) }
    }

    /// A JSON message or journal MESSAGE may carry its traceback after a newline: keep the
    /// head as the message and the rest as the traceback, so rules see the same message
    /// whether the traceback came folded or line by line.
    private func splitEmbeddedTraceback(_ view: inout RecordView) {
        guard view.format != .text, view.traceback.isEmpty, let marker = view.message.firstTracebackMarker() else {
            return
        }
        if marker == 0 {
            view.traceback = view.message  // a traceback and nothing else: it is the message
        } else {
            var head = view.message[..<marker]
            while let last = head.last, last == 0x0A || last == 0x0D { head = head.dropLast() }
            view.traceback = UnsafeRawBufferPointer(rebasing: view.message[marker...])
            view.message = UnsafeRawBufferPointer(rebasing: head)
        }
    }

    // MARK: - Records

    /// Builds the owned record. Bytes that are not UTF-8 are replaced and the record flagged.
    public func materialize(_ view: RecordView, traceback: Traceback?) -> LogRecord {
        var flags = view.flags
        let (message, valid) = view.message.decodedString()
        if !valid { flags.insert(.invalidUTF8) }
        func part(_ bytes: UnsafeRawBufferPointer) -> String? {
            bytes.isEmpty ? nil : bytes.lossyString
        }
        var fields: [RecordField] = []
        fields.reserveCapacity(view.fields.count)
        for entry in view.fields {
            let (value, ok) = entry.value.decodedString()
            if !ok || entry.kind == .bytes && !ok { flags.insert(.invalidUTF8) }
            fields.append(RecordField(entry.key.lossyString, value))
        }
        var record = LogRecord(source: source, position: .replay(line: view.line), timestamp: view.timestamp,
                               format: view.format, message: message, host: part(view.host), ident: part(view.ident),
                               pid: part(view.pid), fields: fields, traceback: traceback, flags: flags)
        record.repeats = view.repeats
        return record
    }

    /// Records of one stream fold together; bare lines of one source are one stream.
    private func streamKey(_ view: RecordView) -> UInt64 {
        var fp = Fingerprint()
        switch view.format {
        case .text:
            fp.combine(view.host)
            fp.separator()
            fp.combine(view.ident)
            fp.separator()
            fp.combine(view.pid)
        case .journal:
            fp.combine(view.unit)
            fp.separator()
            fp.combine(view.ident)
            fp.separator()
            fp.combine(view.pid)
            fp.separator()
        case .json:
            for name in [FieldName.unit, .ident, .pid] {
                if let v = view.value(of: name) { fp.combine(v) }
                fp.separator()
            }
        }
        return fp.value
    }
}

// MARK: - Per-rule matchers

struct MatchSlot {
    let matchers: Unmanaged<RuleMatchers>
    let regex: Unmanaged<RegexMatcher>?
    let hasSelectors: Bool
}

/// A rule's PCRE2 matchers (its regex and any regex selectors), owned by one stage.
final class RuleMatchers {
    let rule: CompiledRule
    let regex: RegexMatcher?
    let selectors: [(field: FieldName, equals: [[UInt8]], regex: RegexMatcher?)]

    init(rule: CompiledRule, matcher: CompiledMatcher, scratch: RegexScratch) {
        self.rule = rule
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

// MARK: - Stream state

struct HeldRecord {
    var record: LogRecord
    var hits: [RuleHit]
    var lastSeen: Timestamp
}

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


struct OpenTraceback {
    var owner: HeldRecord?
    /// For a traceback without owner: the record built from its first line.
    var header: LogRecord?
    var collector: TracebackCollector
    var classifier = TracebackLineClassifier()
    var heldBlanks = 0
    var firstLine: Int?
    var lastSeen: Timestamp

    init(owner: HeldRecord?, header: LogRecord?, collector: TracebackCollector, firstLine: Int?, lastSeen: Timestamp) {
        self.owner = owner
        self.header = header
        self.collector = collector
        self.firstLine = firstLine
        self.lastSeen = lastSeen
    }

    mutating func absorbHeldBlanks() {
        for _ in 0..<heldBlanks { collector.append("") }
        heldBlanks = 0
    }
}

enum StreamState {
    case owner(HeldRecord)
    case traceback(OpenTraceback)

    var firstLine: Int {
        switch self {
        case .owner(let held): held.record.line ?? 0
        case .traceback(let open): open.firstLine ?? 0
        }
    }

    var lastSeen: Timestamp {
        switch self {
        case .owner(let held): held.lastSeen
        case .traceback(let open): open.lastSeen
        }
    }
}

extension RecordView {
    /// A line that opens a traceback written one line per record (syslog, journald stderr).
    /// A message that holds a whole traceback is complete already and is not folded further.
    var isSingleLineTracebackStart: Bool {
        TracebackLineClassifier.isStart(message) && !message.contains(0x0A)
    }
}

extension UnsafeRawBufferPointer {
    /// Offset of "Traceback (most recent call last):" at the start or after a newline.
    func firstTracebackMarker() -> Int? {
        if hasPrefix("Traceback (most recent call last):") { return 0 }
        var i = 0
        while let nl = firstOffset(of: 0x0A, from: i) {
            let rest = UnsafeRawBufferPointer(rebasing: self[(nl + 1)...])
            if rest.hasPrefix("Traceback (most recent call last):") { return nl + 1 }
            i = nl + 1
        }
        return nil
    }
}
