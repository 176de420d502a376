import HeapModule

/// A correlation key whose start has been seen and whose end has not.
public struct OpenKey: Codable, Sendable, Equatable {
    public var key: String
    public var startedAt: Timestamp
    /// When it counts as stuck: `startedAt + timeout`.
    public var deadline: Timestamp
    /// The start record (its message cut to `OpenKey.maxMessageBytes`) and the captures of
    /// `start`, so the stuck message can say what was started, where.
    public var record: LogRecord
    public var captures: [Capture]
    /// Set once reported stuck; the key is then kept (with `resolve`) only to announce its
    /// end, for at most `Correlator.resolveWindow`.
    public var stuckAt: Timestamp?

    public static let maxMessageBytes = 1_000
}

/// What an absence rule knows: since when crier has watched, when the expected record was
/// last seen, and when to look next.
public struct AbsenceState: Codable, Sendable, Equatable {
    public var watchingSince: Timestamp
    public var lastSeen: Timestamp?
    public var nextCheck: Timestamp
    /// The first check that found it missing, while it still is.
    public var missingSince: Timestamp?
}

/// Per-rule state that is not a key: absence bookkeeping and the starts not tracked because
/// `max_open` was reached.
public struct CorrelationRuleState: Codable, Sendable, Equatable {
    public var absence: AbsenceState?
    public var overflow = 0

    public init(absence: AbsenceState? = nil, overflow: Int = 0) {
        self.absence = absence
        self.overflow = overflow
    }
}

/// What the correlator decided; the pipeline turns each into an alert.
public enum CorrelationEvent {
    /// No end within the timeout.
    case stuck(CompiledRule, OpenKey, at: Timestamp)
    /// The end of a key reported stuck (`resolve: true`).
    case resolved(CompiledRule, OpenKey, endedAt: Timestamp, end: LogRecord)
    /// The expected record did not come by `due`.
    case absent(CompiledRule, AbsenceState, due: Timestamp)
    /// The expected record came again after being reported missing (`resolve: true`).
    case back(CompiledRule, missingSince: Timestamp, lastSeen: Timestamp?, record: LogRecord, at: Timestamp)
    /// A start not tracked: the rule already has `max_open` keys open.
    case overflow(CompiledRule, key: String, record: LogRecord, at: Timestamp, total: Int)
}

/// Stuck-task and absence detection (CONTRACT "Rules": `start`/`end`/`key`/`timeout`,
/// `expect`/`every`/`by`). A pure state machine like the aggregator: every call takes the
/// time (record time in replay, the wall clock live), so replay decides what live would.
/// Its state is plain data, saved with each checkpoint and restored after a restart.
public struct Correlator {
    /// A stuck key waits this long for its end (with `resolve`), then is forgotten.
    public static let resolveWindow = Duration.seconds(86_400)
    /// Default bound of open keys per rule (`max_open`).
    public static let defaultMaxOpen = 10_000

    private let rules: [String: CompiledRule]
    private let zoneOffset: CalendarSchedule.ZoneOffset
    private var open: [String: [String: OpenKey]] = [:]
    private var ruleStates: [String: CorrelationRuleState] = [:]
    private var timers = Heap<Timer>()
    private var changedKeys: Set<KeyRef> = []
    private var removedKeys: Set<KeyRef> = []
    private var changedRules: Set<String> = []
    /// The one absence timer queued per rule: sightings move `nextCheck` later without
    /// queuing more (a record expected every minute would otherwise fill the heap).
    private var absenceTimerAt: [String: Timestamp] = [:]

    struct KeyRef: Hashable {
        var rule: String
        var key: String
    }

    struct Timer: Comparable {
        enum Kind: Int { case stuck = 0, forget = 1, absence = 2 }
        var deadline: Timestamp
        var kind: Kind
        var rule: String
        var key: String

        static func < (a: Timer, b: Timer) -> Bool {
            (a.deadline, a.kind.rawValue, a.rule, a.key) < (b.deadline, b.kind.rawValue, b.rule, b.key)
        }
    }

    /// `rules`: the correlation and absence rules of the rule set (others are ignored).
    public init(rules: [CompiledRule], zoneOffset: @escaping CalendarSchedule.ZoneOffset = CalendarSchedule.utc) {
        self.rules = Dictionary(rules.filter { $0.kind != .match }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.zoneOffset = zoneOffset
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// Keys open now, per rule (tests, status).
    public func openKeys(_ rule: String) -> [OpenKey] { open[rule].map { Array($0.values) } ?? [] }

    public func ruleState(_ rule: String) -> CorrelationRuleState? { ruleStates[rule] }

    public var nextDeadline: Timestamp? { timers.min?.deadline }

    // MARK: Inputs

    /// Starts watching for absences at `now` (the first moment the clock is known): rules
    /// restored from an earlier run keep their own start.
    public mutating func watch(from now: Timestamp) {
        for rule in rules.values.sorted(by: { $0.id < $1.id }) where rule.kind == .absence && ruleStates[rule.id]?.absence == nil {
            let state = AbsenceState(watchingSince: now, lastSeen: nil, nextCheck: firstCheck(rule, watchingSince: now))
            setAbsence(rule.id, state)
        }
    }

    /// A `start` matched.
    public mutating func start(_ rule: CompiledRule, key: String, record: LogRecord, captures: [Capture], at time: Timestamp,
                               emit: (CorrelationEvent) -> Void) {
        guard let timeout = rule.definition.timeout else { return }
        // The rule's keys are read and written in place: a local copy of the dictionary
        // would be copied whole on write, once per start (O(open keys) each).
        if open[rule.id]?[key] == nil && (open[rule.id]?.count ?? 0) >= (rule.definition.maxOpen ?? Self.defaultMaxOpen) {
            var state = ruleStates[rule.id] ?? CorrelationRuleState()
            state.overflow += 1
            ruleStates[rule.id] = state
            changedRules.insert(rule.id)
            emit(.overflow(rule, key: key, record: record, at: time, total: state.overflow))
            return
        }
        var kept = record
        if kept.message.utf8.count > OpenKey.maxMessageBytes {
            kept.message = String(decoding: kept.message.utf8.prefix(OpenKey.maxMessageBytes), as: UTF8.self) + "…"
        }
        kept.traceback = nil
        // A second start of an open key (a retried task received again) starts its clock over.
        let entry = OpenKey(key: key, startedAt: time, deadline: time + timeout, record: kept, captures: captures, stuckAt: nil)
        open[rule.id, default: [:]][key] = entry
        markChanged(rule.id, key)
        timers.insert(Timer(deadline: entry.deadline, kind: .stuck, rule: rule.id, key: key))
        dropStaleTimers()
    }

    /// An `end` matched: the key is done; announced if it had been reported stuck.
    public mutating func end(_ rule: CompiledRule, key: String, record: LogRecord, at time: Timestamp,
                             emit: (CorrelationEvent) -> Void) {
        guard let entry = open[rule.id]?[key] else { return }
        removeKey(rule.id, key)
        dropStaleTimers()
        if entry.stuckAt != nil && rule.definition.resolve {
            emit(.resolved(rule, entry, endedAt: time, end: record))
        }
    }

    /// An `expect` matched.
    public mutating func seen(_ rule: CompiledRule, record: LogRecord, at time: Timestamp, emit: (CorrelationEvent) -> Void) {
        guard var state = ruleStates[rule.id]?.absence else { return }
        let missing = state.missingSince
        let previous = state.lastSeen
        state.lastSeen = max(time, state.lastSeen ?? time)
        state.missingSince = nil
        if let every = rule.definition.every {
            // The next check counts from this sighting.
            state.nextCheck = state.lastSeen! + every
        }
        setAbsence(rule.id, state)
        dropStaleTimers()
        if let missing, rule.definition.resolve {
            emit(.back(rule, missingSince: missing, lastSeen: previous, record: record, at: time))
        }
    }

    // MARK: Time

    /// Fires every deadline at or before `now`, in order.
    public mutating func advance(to now: Timestamp, emit: (CorrelationEvent) -> Void) {
        while let timer = timers.min, timer.deadline <= now {
            timers.removeMin()
            fire(timer, emit: emit)
        }
        dropStaleTimers()
    }

    /// Whether a timer is still current (timers are never removed, only outdated).
    private mutating func fire(_ timer: Timer, emit: (CorrelationEvent) -> Void) {
        guard let rule = rules[timer.rule] else { return }
        switch timer.kind {
        case .stuck:
            guard var entry = open[rule.id]?[timer.key], entry.stuckAt == nil, entry.deadline == timer.deadline else { return }
            entry.stuckAt = timer.deadline
            if rule.definition.resolve {
                open[rule.id]![timer.key] = entry
                markChanged(rule.id, timer.key)
                timers.insert(Timer(deadline: timer.deadline + Self.resolveWindow, kind: .forget, rule: rule.id, key: timer.key))
            } else {
                removeKey(rule.id, timer.key)
            }
            emit(.stuck(rule, entry, at: timer.deadline))
        case .forget:
            guard let entry = open[rule.id]?[timer.key], let stuck = entry.stuckAt,
                  stuck + Self.resolveWindow == timer.deadline else { return }
            removeKey(rule.id, timer.key)
        case .absence:
            guard absenceTimerAt[rule.id] == timer.deadline else { return }
            absenceTimerAt[rule.id] = nil
            guard var state = ruleStates[rule.id]?.absence else { return }
            if state.nextCheck > timer.deadline {
                scheduleAbsence(rule.id, at: state.nextCheck)
                return
            }
            let due = timer.deadline
            let windowStart = windowStart(rule, check: due, state: state)
            let seenInWindow = state.lastSeen.map { $0 > windowStart } ?? false
            // Only a window watched whole can be missing: a crier started on Monday at 08:59
            // knows nothing of whether the weekly job ran before.
            let watchedWhole = windowStart >= state.watchingSince
            state.nextCheck = nextCheck(rule, after: due, state: state)
            if !seenInWindow && watchedWhole {
                if state.missingSince == nil { state.missingSince = due }
                setAbsence(rule.id, state)
                emit(.absent(rule, state, due: due))
            } else {
                setAbsence(rule.id, state)
            }
        }
    }

    private func firstCheck(_ rule: CompiledRule, watchingSince: Timestamp) -> Timestamp {
        if let every = rule.definition.every { return watchingSince + every }
        return rule.schedule!.next(after: watchingSince, offset: zoneOffset)
    }

    private func nextCheck(_ rule: CompiledRule, after due: Timestamp, state: AbsenceState) -> Timestamp {
        if let every = rule.definition.every { return due + every }
        return rule.schedule!.next(after: due, offset: zoneOffset)
    }

    /// The start of the window a check closes: `every` before it, or the previous calendar
    /// moment.
    private func windowStart(_ rule: CompiledRule, check: Timestamp, state: AbsenceState) -> Timestamp {
        if let every = rule.definition.every { return check - every }
        return rule.schedule!.previous(atOrBefore: check - .microseconds(1), offset: zoneOffset)
    }

    /// Drops outdated timers from the top of the heap, so `nextDeadline` is a real one (live
    /// mode sleeps until it).
    private mutating func dropStaleTimers() {
        while let timer = timers.min, !isCurrent(timer) { timers.removeMin() }
    }

    private func isCurrent(_ timer: Timer) -> Bool {
        switch timer.kind {
        case .stuck:
            guard let entry = open[timer.rule]?[timer.key] else { return false }
            return entry.stuckAt == nil && entry.deadline == timer.deadline
        case .forget:
            guard let stuck = open[timer.rule]?[timer.key]?.stuckAt else { return false }
            return stuck + Self.resolveWindow == timer.deadline
        case .absence:
            return absenceTimerAt[timer.rule] == timer.deadline
        }
    }

    // MARK: State

    private mutating func setAbsence(_ rule: String, _ state: AbsenceState) {
        var s = ruleStates[rule] ?? CorrelationRuleState()
        s.absence = state
        ruleStates[rule] = s
        changedRules.insert(rule)
        if absenceTimerAt[rule].map({ state.nextCheck < $0 }) ?? true { scheduleAbsence(rule, at: state.nextCheck) }
    }

    private mutating func scheduleAbsence(_ rule: String, at deadline: Timestamp) {
        absenceTimerAt[rule] = deadline
        timers.insert(Timer(deadline: deadline, kind: .absence, rule: rule, key: ""))
    }

    private mutating func markChanged(_ rule: String, _ key: String) {
        let ref = KeyRef(rule: rule, key: key)
        changedKeys.insert(ref)
        removedKeys.remove(ref)
    }

    private mutating func removeKey(_ rule: String, _ key: String) {
        open[rule]?[key] = nil
        let ref = KeyRef(rule: rule, key: key)
        changedKeys.remove(ref)
        removedKeys.insert(ref)
    }

    /// What changed since the last call, for the state store.
    public struct Changes: Sendable {
        public var upserted: [(rule: String, key: OpenKey)] = []
        public var removed: [(rule: String, key: String)] = []
        public var rules: [(rule: String, state: CorrelationRuleState)] = []
        public var isEmpty: Bool { upserted.isEmpty && removed.isEmpty && rules.isEmpty }

        public init() {}

        /// Folds later changes into these (the later wins per key and rule).
        public mutating func merge(_ later: Changes) {
            let removedNow = Set(later.removed.map { "\($0.rule)\u{1F}\($0.key)" })
            let upsertedNow = Set(later.upserted.map { "\($0.rule)\u{1F}\($0.key.key)" })
            upserted.removeAll { removedNow.contains("\($0.rule)\u{1F}\($0.key.key)") || upsertedNow.contains("\($0.rule)\u{1F}\($0.key.key)") }
            removed.removeAll { upsertedNow.contains("\($0.rule)\u{1F}\($0.key)") || removedNow.contains("\($0.rule)\u{1F}\($0.key)") }
            upserted += later.upserted
            removed += later.removed
            let laterRules = Set(later.rules.map(\.rule))
            rules.removeAll { laterRules.contains($0.rule) }
            rules += later.rules
        }
    }

    public mutating func takeChanges() -> Changes {
        var c = Changes()
        for ref in changedKeys { if let entry = open[ref.rule]?[ref.key] { c.upserted.append((ref.rule, entry)) } }
        c.removed = removedKeys.map { ($0.rule, $0.key) }
        c.rules = changedRules.compactMap { id in ruleStates[id].map { (id, $0) } }
        changedKeys.removeAll(keepingCapacity: true)
        removedKeys.removeAll(keepingCapacity: true)
        changedRules.removeAll(keepingCapacity: true)
        return c
    }

    /// Loads the state of an earlier run; keys and states of rules that no longer exist, or
    /// are no longer correlation rules, are dropped.
    public mutating func restore(open saved: [(rule: String, key: OpenKey)], rules savedRules: [(rule: String, state: CorrelationRuleState)]) {
        for (rule, entry) in saved where rules[rule]?.kind == .correlation {
            open[rule, default: [:]][entry.key] = entry
            if let stuck = entry.stuckAt {
                timers.insert(Timer(deadline: stuck + Self.resolveWindow, kind: .forget, rule: rule, key: entry.key))
            } else {
                timers.insert(Timer(deadline: entry.deadline, kind: .stuck, rule: rule, key: entry.key))
            }
        }
        for (rule, state) in savedRules where rules[rule] != nil {
            ruleStates[rule] = state
            if let absence = state.absence, rules[rule]?.kind == .absence { scheduleAbsence(rule, at: absence.nextCheck) }
        }
    }
}
