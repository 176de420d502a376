// Public: the timer heap is read by the inlinable `nextDeadline`, which the pipeline asks
// on every record.
public import HeapModule

/// The three timers of a group, with Alertmanager's names and meanings.
public struct GroupTiming: Hashable, Sendable, Codable {
    /// Wait after a group's first occurrence before its first message, so that a burst
    /// starting now goes out as one message with a count. Default 10s.
    public var groupWait: Duration
    /// Minimum time between two messages of one group; occurrences in between are folded
    /// into the next message. Default 5m.
    public var groupInterval: Duration
    /// After this long since the group's last fresh post, a still-occurring group is posted
    /// anew (`repeat`) rather than folded; a group quiet this long is forgotten. Default 4h.
    public var repeatInterval: Duration

    public init(groupWait: Duration, groupInterval: Duration, repeatInterval: Duration) {
        self.groupWait = groupWait
        self.groupInterval = groupInterval
        self.repeatInterval = repeatInterval
    }

    public static let `default` = GroupTiming(groupWait: .seconds(10), groupInterval: .seconds(300),
                                              repeatInterval: .seconds(4 * 3600))
}

/// What the aggregator needs to know about a group when it first sees it.
public struct GroupInfo: Hashable, Sendable, Codable {
    public var rule: String
    public var severity: Severity
    public var labels: [Label]
    public var timing: GroupTiming
    /// Groups of correlation alerts say why every message is sent (`stuck`, `absent`,
    /// `resolved`) instead of first/burst/repeat. Optional so saved states still decode.
    public var reason: BatchReason?

    public init(rule: String, severity: Severity, labels: [Label], timing: GroupTiming, reason: BatchReason? = nil) {
        self.rule = rule
        self.severity = severity
        self.labels = labels
        self.timing = timing
        self.reason = reason
    }
}

/// How many of a batch's occurrences share one description: "3 in queued > 30 min".
public struct FacetCount: Hashable, Sendable, Codable {
    public var name: String
    public var count: Int
    /// What is counted, singular and plural ("task", "tasks"), for the sentence.
    public var noun: String?
    public var plural: String?

    /// Stored with batches (`StateSchema`): renaming a property must not change these.
    enum CodingKeys: String, CodingKey { case name, count, noun, plural }

    public init(_ name: String, _ count: Int, noun: String? = nil, plural: String? = nil) {
        self.name = name
        self.count = count
        self.noun = noun
        self.plural = plural
    }

    /// `3 tasks in queued > 30 min`.
    public var phrase: String {
        let what = count == 1 ? noun : plural
        return "\(HumanFormat.count(count)) \(what.map { "\($0) " } ?? "")\(name)"
    }
}

/// A facet as the aggregator is given it with an occurrence.
public struct Facet: Hashable, Sendable {
    public var name: String
    public var noun: String?
    public var plural: String?

    public init(_ name: String, noun: String? = nil, plural: String? = nil) {
        self.name = name
        self.noun = noun
        self.plural = plural
    }
}

/// One message-worth of a group, decided by the aggregator.
public struct GroupFlush<Sample> {
    public var fingerprint: Fingerprint
    public var info: GroupInfo
    public var reason: BatchReason
    public var samples: [Sample]
    public var count: Int
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    public var decidedAt: Timestamp
    public var episodeCount: Int
    public var episodeStart: Timestamp
    public var previousMessageAt: Timestamp?
    /// Occurrences per facet, in order of first appearance (empty when none was given).
    public var facets: [FacetCount]
    /// Every occurrence in it was too old to alert on (`max_age` after a restart): the group
    /// state moves on as if it had been sent, but nothing goes out.
    public var silent: Bool
}

extension GroupFlush: Sendable where Sample: Sendable {}

/// Folds occurrences into groups and decides when each group sends a message and why.
///
/// A pure state machine: no clock is read, every call takes the time. Live mode passes the
/// wall clock; replay passes record time, so both make the same decisions. Samples are
/// built only when kept (`maxSamples` per message), so a burst of 10,000 occurrences costs
/// 10,000 counter increments, not 10,000 rendered alerts.
///
/// Timeline of one group (gw = group_wait, gi = group_interval, ri = repeat_interval):
/// * first occurrence at t0 → `first` at t0+gw with everything seen until then;
/// * more occurrences → folded, sent at (last message)+gi as `burst`, or as `repeat` when
///   the last fresh post (`first`/`repeat`) is ri or more behind;
/// * no occurrence for ri and nothing pending → the group is forgotten; the next
///   occurrence is a `first` again.
public struct Aggregator<Sample> {
    /// Alerts kept in full per message; the rest are counted (`suppressed`).
    public var maxSamples: Int

    private var groups: [Fingerprint: GroupState] = [:]
    @usableFromInline var timers = Heap<Timer>()
    /// Groups changed or forgotten since the last `takeChanges()`: what the state store
    /// writes in the transaction that also moves the source checkpoint.
    private var changed: Set<Fingerprint> = []
    private var forgotten: Set<Fingerprint> = []

    public init(maxSamples: Int = 5) {
        self.maxSamples = max(1, maxSamples)
    }

    /// Everything known about one group; persisted as is, so a restart resumes its timers.
    public struct GroupState {
        public var info: GroupInfo
        public var episodeStart: Timestamp
        public var episodeCount = 0
        public var lastSeen: Timestamp
        public var pendingCount = 0
        /// Pending occurrences that may alert (not older than `max_age`).
        public var pendingLoud = 0
        public var pendingSamples: [Sample] = []
        public var pendingFirstSeen: Timestamp
        public var pendingLastSeen: Timestamp
        public var lastMessageAt: Timestamp?
        public var lastFreshAt: Timestamp?
        public var flushAt: Timestamp?
        public var expiryAt: Timestamp?
        /// Pending occurrences per facet (optional: states saved before facets decode).
        public var pendingFacets: [FacetCount]?
    }

    @usableFromInline struct Timer: Comparable {
        @usableFromInline enum Kind: Int, Sendable { case flush = 0, expire = 1 }
        @usableFromInline var deadline: Timestamp
        @usableFromInline var fingerprint: Fingerprint
        @usableFromInline var kind: Kind

        @usableFromInline init(deadline: Timestamp, fingerprint: Fingerprint, kind: Kind) {
            self.deadline = deadline
            self.fingerprint = fingerprint
            self.kind = kind
        }

        @usableFromInline static func < (a: Timer, b: Timer) -> Bool {
            (a.deadline, a.fingerprint.value, a.kind.rawValue) < (b.deadline, b.fingerprint.value, b.kind.rawValue)
        }
    }

    /// Groups currently remembered.
    public var groupCount: Int { groups.count }

    /// Occurrences waiting to be sent, over all groups.
    public var pendingCount: Int { groups.values.reduce(0) { $0 + $1.pendingCount } }

    /// The earliest time at which `advance` has something to do.
    /// Inlinable: the pipeline asks after every match, and across the module boundary an
    /// unspecialised generic call costs more than the match.
    @inlinable public var nextDeadline: Timestamp? { timers.min?.deadline }

    /// Records one occurrence of the group `fingerprint` that happened at `time`.
    /// - Parameters:
    ///   - now: the clock (wall clock live, latest record time in replay); timers start from it.
    ///   - info: called only when the group is new.
    ///   - sample: called only when this occurrence is kept in full.
    ///   - count: occurrences this one stands for (a "message repeated N times" line).
    ///   - silent: the occurrence updates the group but cannot make it alert (too old).
    public mutating func ingest(_ fingerprint: Fingerprint, at time: Timestamp, now: Timestamp, count: Int = 1,
                                silent: Bool = false, facet: Facet? = nil, info: () -> GroupInfo, sample: () -> Sample) {
        let count = max(1, count)
        defer { if let facet { groups[fingerprint]?.addFacet(facet, count) } }
        changed.insert(fingerprint)
        forgotten.remove(fingerprint)
        if var state = groups[fingerprint] {
            state.episodeCount += count
            state.lastSeen = max(state.lastSeen, time)
            if state.pendingCount == 0 {
                state.pendingFirstSeen = time
                state.pendingLastSeen = time
            } else {
                state.pendingFirstSeen = min(state.pendingFirstSeen, time)
                state.pendingLastSeen = max(state.pendingLastSeen, time)
            }
            state.pendingCount += count
            if !silent { state.pendingLoud += count }
            if state.pendingSamples.count < maxSamples { state.pendingSamples.append(sample()) }
            if state.flushAt == nil {
                let earliest = (state.lastMessageAt ?? now) + state.info.timing.groupInterval
                let at = max(now, earliest)
                state.flushAt = at
                timers.insert(Timer(deadline: at, fingerprint: fingerprint, kind: .flush))
            }
            groups[fingerprint] = state
        } else {
            let groupInfo = info()
            let at = now + groupInfo.timing.groupWait
            groups[fingerprint] = GroupState(
                info: groupInfo, episodeStart: time, episodeCount: count, lastSeen: time, pendingCount: count,
                pendingLoud: silent ? 0 : count, pendingSamples: [sample()], pendingFirstSeen: time,
                pendingLastSeen: time, flushAt: at)
            timers.insert(Timer(deadline: at, fingerprint: fingerprint, kind: .flush))
        }
    }

    /// Fires every timer due at or before `now`, in deadline order, passing each message to
    /// `emit`. A message's `decidedAt` is its deadline, not `now`: in replay the clock jumps
    /// to the next record, but the message belongs where its timer fell.
    public mutating func advance(to now: Timestamp, emit: (GroupFlush<Sample>) -> Void) {
        while let timer = timers.min, timer.deadline <= now {
            timers.removeMin()
            fire(timer, emit: emit)
        }
    }

    /// Sends everything still pending (end of replay, shutdown): each at its own deadline,
    /// or at `now` when given and earlier (a live shutdown sends now). Groups stay
    /// remembered, so a restart does not announce them as new.
    public mutating func flushPending(now: Timestamp? = nil, emit: (GroupFlush<Sample>) -> Void) {
        var kept: [Timer] = []
        while let timer = timers.popMin() {
            if timer.kind == .flush { fire(timer, at: now.map { min($0, timer.deadline) }, emit: emit) } else { kept.append(timer) }
        }
        for timer in kept { timers.insert(timer) }
    }

    private mutating func fire(_ timer: Timer, at sendTime: Timestamp? = nil, emit: (GroupFlush<Sample>) -> Void) {
        guard var state = groups[timer.fingerprint] else { return }
        switch timer.kind {
        case .flush:
            guard state.flushAt == timer.deadline, state.pendingCount > 0 else { return }
            let at = sendTime ?? timer.deadline
            let reason: BatchReason
            if let fixed = state.info.reason {
                reason = fixed
            } else if state.lastMessageAt == nil {
                reason = .first
            } else if let fresh = state.lastFreshAt, at - fresh >= state.info.timing.repeatInterval {
                reason = .repeat
            } else {
                reason = .burst
            }
            emit(GroupFlush(
                fingerprint: timer.fingerprint, info: state.info, reason: reason, samples: state.pendingSamples,
                count: state.pendingCount, firstSeen: state.pendingFirstSeen, lastSeen: state.pendingLastSeen,
                decidedAt: at, episodeCount: state.episodeCount, episodeStart: state.episodeStart,
                previousMessageAt: state.lastMessageAt, facets: state.pendingFacets ?? [], silent: state.pendingLoud == 0))
            changed.insert(timer.fingerprint)
            state.previousMessage(at: at, fresh: reason != .burst)
            let expiry = max(state.lastSeen, at) + state.info.timing.repeatInterval
            state.expiryAt = expiry
            timers.insert(Timer(deadline: expiry, fingerprint: timer.fingerprint, kind: .expire))
            groups[timer.fingerprint] = state
        case .expire:
            guard state.expiryAt == timer.deadline else { return }
            if state.pendingCount > 0 { return }  // a flush is scheduled; it re-arms the expiry
            let quietUntil = state.lastSeen + state.info.timing.repeatInterval
            if quietUntil <= timer.deadline {
                groups[timer.fingerprint] = nil
                changed.remove(timer.fingerprint)
                forgotten.insert(timer.fingerprint)
            } else {
                state.expiryAt = quietUntil
                timers.insert(Timer(deadline: quietUntil, fingerprint: timer.fingerprint, kind: .expire))
                groups[timer.fingerprint] = state
            }
        }
    }
}

extension Aggregator.GroupState {
    mutating func previousMessage(at: Timestamp, fresh: Bool) {
        lastMessageAt = at
        if fresh { lastFreshAt = at }
        pendingCount = 0
        pendingLoud = 0
        pendingSamples.removeAll(keepingCapacity: false)
        pendingFacets = nil
        flushAt = nil
    }

    mutating func addFacet(_ facet: Facet, _ count: Int) {
        var facets = pendingFacets ?? []
        if let i = facets.firstIndex(where: { $0.name == facet.name }) {
            facets[i].count += count
        } else {
            facets.append(FacetCount(facet.name, count, noun: facet.noun, plural: facet.plural))
        }
        pendingFacets = facets
    }
}

extension Aggregator: Sendable where Sample: Sendable {}
extension Aggregator.GroupState: Sendable where Sample: Sendable {}
extension Aggregator.GroupState: Codable where Sample: Codable {}

extension Aggregator {
    /// Groups changed since the last call (with their state) and groups forgotten.
    public mutating func takeChanges() -> (changed: [(Fingerprint, GroupState)], forgotten: [Fingerprint]) {
        let result = (changed.compactMap { fp in groups[fp].map { (fp, $0) } }, Array(forgotten))
        changed.removeAll(keepingCapacity: true)
        forgotten.removeAll(keepingCapacity: true)
        return result
    }

    /// Loads groups saved by an earlier run, re-arming their timers.
    public mutating func restore(_ saved: [(Fingerprint, GroupState)]) {
        for (fp, state) in saved {
            groups[fp] = state
            if let at = state.flushAt { timers.insert(Timer(deadline: at, fingerprint: fp, kind: .flush)) }
            if let at = state.expiryAt { timers.insert(Timer(deadline: at, fingerprint: fp, kind: .expire)) }
        }
    }

    /// Pending occurrences of one group (tests and `crier status`).
    public func state(of fingerprint: Fingerprint) -> GroupState? { groups[fingerprint] }
}
extension Aggregator.Timer: Sendable {}
