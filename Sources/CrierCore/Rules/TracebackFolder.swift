/// Folds Python tracebacks into the record that owns them, so that a traceback never
/// becomes one alert per line.
///
/// Folding works per stream (same host, ident and pid; or the same file): a record matched
/// by a rule with `multiline: traceback` is held (`hold`) until the next line of its stream
/// shows whether a traceback follows; a traceback with no owner becomes a record of its own
/// (message = the whole traceback), to be matched like any other. Held records are released
/// by the next line of their stream, by `expireHeld` after `holdTimeout`, or by `flush` at
/// the end of input.
///
/// A plain value that never matches rules itself: `admit` says whether a record stands
/// alone (match it) or was folded, and whatever leaves (a held owner, a finished traceback)
/// is appended to the caller's buffer as a `FoldRelease`, in the order it must be handled.
public struct TracebackFolder {
    /// How long a record may wait for the rest of its traceback (record time in replay,
    /// wall time live). A traceback is written in one go, so this only matters when a
    /// stream goes quiet right after an owner line.
    public var holdTimeout: Duration
    /// Open streams beyond this are flushed; a guard against unbounded state.
    public var maxOpenStreams: Int

    private var streams: [UInt64: StreamState] = [:]
    /// `nextHoldDeadline`, remembered until `streams` changes: the pipeline asks whenever
    /// the clock moves, which is every record while anything is held.
    private var holdDeadline = CachedDeadline.unknown

    public init(holdTimeout: Duration = .seconds(2), maxOpenStreams: Int = 4_096) {
        self.holdTimeout = holdTimeout
        self.maxOpenStreams = maxOpenStreams
    }

    /// What became of a record given to `admit`.
    public enum Admission: Equatable, Sendable {
        /// Part of a traceback (or the start of one): nothing to match.
        case folded
        /// A record of its own: match it.
        case standsAlone
    }

    /// Whether held records or open tracebacks are waiting.
    public var hasHeldRecords: Bool { !streams.isEmpty }

    /// When the longest-waiting held record is due for release.
    public var nextHoldDeadline: Timestamp? {
        mutating get {
            if case .known(let deadline) = holdDeadline { return deadline }
            var earliest: Timestamp?
            for state in streams.values where earliest == nil || state.lastSeen < earliest! { earliest = state.lastSeen }
            let deadline = earliest.map { $0 + holdTimeout }
            holdDeadline = .known(deadline)
            return deadline
        }
    }

    // MARK: - Per record

    /// Folds `view` into its stream's open traceback, or releases what its stream held.
    /// A JSON or journal message that carries its traceback after a newline is split (the
    /// view is edited), so rules see the same message whether the traceback came folded or
    /// line by line. `source` names the input on records built here.
    public mutating func admit(_ view: inout RecordView, now: Timestamp, source: String,
                               into released: inout [FoldRelease]) -> Admission {
        if !streams.isEmpty {
            let key = TracebackFolder.streamKey(view)
            if let state = streams[key] {
                switch state {
                case .traceback(var open):
                    switch open.classifier.classify(view.message) {
                    case .absorbed:
                        open.absorbHeldBlanks()
                        open.collector.append(view.message.lossyString)
                        open.lastSeen = now
                        setStream(key, .traceback(open))
                        return .folded
                    case .heldBlank:
                        open.heldBlanks += 1
                        open.lastSeen = now
                        setStream(key, .traceback(open))
                        return .folded
                    case .ended:
                        setStream(key, nil)
                        if let release = open.finish() { released.append(release) }
                    }
                case .owner(var held):
                    setStream(key, nil)
                    if view.isSingleLineTracebackStart {
                        open(key: key, view: view, owner: held, now: now, source: source, into: &released)
                        return .folded
                    }
                    if TracebackLineClassifier.isStart(view.message) {
                        // The whole traceback in the next entry (a journal MESSAGE with newlines).
                        held.record.traceback = Traceback(text: view.message.lossyString)
                        released.append(.owner(held.record, held.hits))
                        return .folded
                    }
                    released.append(.owner(held.record, held.hits))
                }
            }
        }
        if view.isSingleLineTracebackStart {
            open(key: TracebackFolder.streamKey(view), view: view, owner: nil, now: now, source: source, into: &released)
            return .folded
        }
        if view.format != .text { TracebackFolder.splitEmbeddedTraceback(&view) }
        return .standsAlone
    }

    /// Whether a matched record waits for the traceback that may follow it.
    public static func waitsForTraceback(_ record: LogRecord, hits: [RuleHit]) -> Bool {
        record.traceback == nil && hits.contains { $0.rule.multiline == .traceback }
    }

    /// Holds a matched record (`waitsForTraceback`) until the next line of its stream,
    /// `stream`, shows whether a traceback follows.
    public mutating func hold(_ record: LogRecord, hits: [RuleHit], stream view: RecordView, now: Timestamp,
                              into released: inout [FoldRelease]) {
        let key = TracebackFolder.streamKey(view)
        if let previous = streams[key] {
            setStream(key, nil)
            if let release = previous.release() { released.append(release) }
        }
        guardStreamLimit(into: &released)
        setStream(key, .owner(HeldRecord(record: record, hits: hits, lastSeen: now)))
    }

    /// Releases every held record and open traceback (end of input, shutdown).
    public mutating func flush(into released: inout [FoldRelease]) {
        let held = streams.values.sorted { $0.firstLine < $1.firstLine }
        streams.removeAll()
        holdDeadline = .unknown
        for state in held {
            if let release = state.release() { released.append(release) }
        }
    }

    /// Releases what has waited longer than `holdTimeout`.
    public mutating func expireHeld(now: Timestamp, into released: inout [FoldRelease]) {
        let due = streams.filter { now - $0.value.lastSeen >= holdTimeout }
        for (key, state) in due.sorted(by: { $0.value.firstLine < $1.value.firstLine }) {
            setStream(key, nil)
            if let release = state.release() { released.append(release) }
        }
    }

    // MARK: - Checkpoint

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

    /// Puts back what `saveHeld` returned (after a restart). Hits of rules that are not in
    /// `rules` any more are dropped; a record left with no hit is dropped with them.
    public mutating func restoreHeld(_ snapshots: [HeldStreamSnapshot], rules: [CompiledRule]) {
        let byID = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
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

    // MARK: - Streams

    private enum CachedDeadline { case unknown, known(Timestamp?) }

    private mutating func setStream(_ key: UInt64, _ state: StreamState?) {
        streams[key] = state
        holdDeadline = .unknown
    }

    private mutating func open(key: UInt64, view: RecordView, owner: HeldRecord?, now: Timestamp, source: String,
                               into released: inout [FoldRelease]) {
        var collector = TracebackCollector()
        collector.append(view.message.lossyString)
        let header = owner == nil ? LogRecord(view, source: source) : nil
        guardStreamLimit(into: &released)
        setStream(key, .traceback(OpenTraceback(owner: owner, header: header, collector: collector,
                                                firstLine: owner?.record.line ?? view.line, lastSeen: now)))
    }

    private mutating func guardStreamLimit(into released: inout [FoldRelease]) {
        if streams.count >= maxOpenStreams { flush(into: &released) }
    }

    /// Records of one stream fold together; bare lines of one source are one stream.
    static func streamKey(_ view: RecordView) -> UInt64 {
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

    /// A JSON message or journal MESSAGE may carry its traceback after a newline: the head
    /// stays the message and the rest becomes the traceback.
    static func splitEmbeddedTraceback(_ view: inout RecordView) {
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
}

/// What leaves a `TracebackFolder`.
public enum FoldRelease {
    /// A held record, its traceback attached when one followed; `hits` fired on it.
    case owner(LogRecord, [RuleHit])
    /// A traceback that no record owned: its text is the record's message, to be matched.
    case ownerless(LogRecord)
}

// MARK: - Stream state

struct HeldRecord {
    var record: LogRecord
    var hits: [RuleHit]
    var lastSeen: Timestamp
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

    /// The owner with its traceback, or the traceback as a record of its own.
    func finish() -> FoldRelease? {
        let traceback = collector.build()
        if var owner {
            owner.record.traceback = traceback
            if collector.isCut { owner.record.flags.insert(.tracebackCut) }
            return .owner(owner.record, owner.hits)
        }
        guard var record = header else { return nil }
        record.message = traceback.text
        record.traceback = traceback
        if collector.isCut { record.flags.insert(.tracebackCut) }
        return .ownerless(record)
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

    func release() -> FoldRelease? {
        switch self {
        case .owner(let held): .owner(held.record, held.hits)
        case .traceback(let open): open.finish()
        }
    }
}
