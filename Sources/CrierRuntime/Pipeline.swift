public import CrierCore
import CrierNotifiers

/// The shared path from records to messages: match (with traceback folding), aggregate,
/// route, render. Replay and live mode both drive this class; they differ only in the clock
/// they pass and where `output` sends messages (DESIGN §1).
///
/// The clock is record time: each record moves it forward (never back), and records
/// without a timestamp take the clock's current value. Until the first timestamped
/// record, the clock reads `startTime` without being bound by it: a replay of last year's
/// log starts at its first record, not at today.
public final class Pipeline {
    public let loaded: LoadedConfig
    /// Matching and traceback folding; its `stats` count the records.
    public private(set) var stage: MatchStage
    public private(set) var stats = PipelineStats()
    /// What the stage decided about the record at hand; reused, emptied after each use.
    private var events: [MatchEvent] = []
    public private(set) var clock: Timestamp
    /// False until a record with a timestamp has set the clock.
    private var clockSet = false
    // Mutated in place; every mutation is followed by refreshNextEvent() (a didSet would
    // copy the aggregator and defeat copy-on-write).
    /// Samples are rendered when kept (at most `max_samples` per message), so that a group
    /// can be saved and restored as plain data.
    private var aggregator: Aggregator<Alert>
    /// The earliest aggregator deadline or hold release: cached, because asking the generic
    /// aggregator across a module boundary for every line costs more than the line itself.
    private var nextEvent = Timestamp.distantFuture
    /// Stuck keys and absences (correlation rules); events become alerts in the aggregator.
    private var correlator: Correlator
    /// Scheduled summaries (`digests:`).
    private var digests: DigestBook
    private let renderers: [String: any BatchRenderer]
    /// Credentials in log text never reach a message.
    private let redactor = LogTextRedactor()
    /// Unowned: the output owns the pipeline (replay runner, live service).
    public unowned var output: any PipelineOutput

    public init(loaded: LoadedConfig, source: String, output: any PipelineOutput, startTime: Timestamp,
                zoneOffset: @escaping CalendarSchedule.ZoneOffset = ZoneOffsets.local) {
        self.loaded = loaded
        stage = MatchStage(rules: loaded.rules, source: source)
        aggregator = Aggregator(maxSamples: loaded.config.defaults.maxSamples)
        correlator = Correlator(rules: loaded.rules.rules, zoneOffset: zoneOffset)
        digests = DigestBook(configs: loaded.config.digests, zoneOffset: zoneOffset)
        renderers = Dictionary(loaded.renderers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.output = output
        clock = startTime
    }

    /// The input name stamped on records (replay of several files switches it).
    public var source: String {
        get { stage.source }
        set { stage.source = newValue }
    }

    /// Records older than this update state but never alert (`max_age` after a restart).
    public var alertCutoff: Timestamp?
    /// Live restart: stuck and absence deadlines wait until then, so that the ends written
    /// while crier was down are read (from the backlog) before anything is called stuck.
    public var correlationHeldUntil: Timestamp?

    /// Replay: record times drive the clock. Live: only `tick(to:)` (the wall clock) does,
    /// so a record stamped in the future by a skewed clock cannot fire timers early.
    public var recordsMoveClock = true

    /// Feeds one record. Its timestamp (or the clock, when it has none) becomes "now".
    /// `view` is inout only so that the hot path does not copy it.
    @inline(__always)
    public func process(_ view: inout RecordView) {
        if let t = view.timestamp {
            if !recordsMoveClock {
                // Live: the wall clock is ticked in by the caller.
            } else if !clockSet {
                clock = t
                clockSet = true
                correlator.watch(from: t)
                digests.watch(from: t)
                refreshNextEvent()
            } else if t > clock {
                if t >= nextEvent { advanceClock(to: t) } else { clock = t }
            }
        } else {
            view.timestamp = clock
        }
        stage.process(&view, now: clock, into: &events)
        if !events.isEmpty { apply(view) }
        if stage.hasHeldRecords { refreshNextEvent() }
    }

    /// Moves the clock without a record (live idle timers), firing what is due.
    public func tick(to now: Timestamp) {
        if !clockSet {
            clock = now
            clockSet = true
            correlator.watch(from: now)
            digests.watch(from: now)
        }
        advanceClock(to: now)
    }

    /// Moves time forward through every event due before `target`, in order: a held record
    /// released at its hold deadline is aggregated at that moment, not at the (possibly much
    /// later) time of the record that happened to come next. So replay decides exactly what
    /// live mode would have.
    private func advanceClock(to target: Timestamp) {
        while true {
            let hold = stage.hasHeldRecords ? stage.nextHoldDeadline : nil
            let correlation = correlator.nextDeadline.map { max($0, correlationHeldUntil ?? $0) }
            let digest = digests.nextDeadline
            let next = [hold, aggregator.nextDeadline, correlation, digest].compactMap { $0 }.min() ?? .distantFuture
            guard next <= target else { break }
            if next > clock { clock = next }
            if let hold, hold <= next {
                stage.expireHeld(now: clock, into: &events)
                apply(nil)
            }
            if let correlation, correlation <= next { correlator.advance(to: clock) { correlationEvent($0) } }
            aggregator.advance(to: clock) { deliver($0) }
            // After the groups: a digest counts what was decided up to its moment.
            if let digest, digest <= next { sendDigests() }
        }
        if target > clock { clock = target }
        refreshNextEvent()
    }

    /// End of an input: releases records still waiting for a traceback.
    public func endOfInput() {
        stage.flush(into: &events)
        apply(nil)
        refreshNextEvent()
    }

    /// End of replay: everything held is released and every group with unsent occurrences
    /// is sent at its own deadline. Nothing is silently dropped.
    public func finish() {
        stage.flush(into: &events)
        apply(nil)
        aggregator.flushPending { deliver($0) }
        refreshNextEvent()
    }

    /// Live shutdown (DESIGN §4): groups with unsent occurrences are sent now. Records waiting
    /// for their traceback are not released: they are saved and resume after the restart.
    public func flushGroups(now: Timestamp) {
        tick(to: now)
        aggregator.flushPending(now: clock) { deliver($0) }
        refreshNextEvent()
    }

    /// What changed since the last call, for the state store.
    public func takeStateChanges() -> (groups: [(Fingerprint, Aggregator<Alert>.GroupState)], forgotten: [Fingerprint],
                                       correlation: Correlator.Changes, digests: [String: DigestState]) {
        let changes = aggregator.takeChanges()
        return (changes.changed, changes.forgotten, correlator.takeChanges(), digests.takeChanges())
    }

    /// Puts back the state of an earlier run.
    public func restore(groups: [(Fingerprint, Aggregator<Alert>.GroupState)], held: [HeldStreamSnapshot],
                        open: [(rule: String, key: OpenKey)] = [], correlationRules: [(rule: String, state: CorrelationRuleState)] = [],
                        digests saved: [String: DigestState] = [:]) {
        aggregator.restore(groups)
        stage.restoreHeld(held)
        correlator.restore(open: open, rules: correlationRules)
        digests.restore(saved)
        refreshNextEvent()
    }

    /// Keys open now for a correlation rule (tests).
    public func openKeys(_ rule: String) -> [OpenKey] { correlator.openKeys(rule) }

    /// The next moment something is due (a group message, a held record's release, a stuck
    /// deadline, an absence check): live mode sleeps until then unless a record arrives first.
    public var nextDeadline: Timestamp? {
        let hold = stage.hasHeldRecords ? stage.nextHoldDeadline : nil
        let correlation = correlator.nextDeadline.map { max($0, correlationHeldUntil ?? $0) }
        return [hold, aggregator.nextDeadline, correlation, digests.nextDeadline].compactMap { $0 }.min()
    }

    /// A digest's state (tests).
    public func digestState(_ name: String) -> DigestState? { digests.state(name) }

    private func refreshNextEvent() {
        nextEvent = nextDeadline ?? .distantFuture
    }

    // MARK: Match events

    /// Applies what the stage decided. `view`: the record just processed, which a `.missed`
    /// event refers to.
    private func apply(_ view: RecordView?) {
        for event in events {
            switch event {
            case .matched(let record, let hits): matched(record, hits: hits)
            case .correlated(let record, let hits): correlated(record, hits: hits)
            case .missed: if let view, output.wantsMissed { output.missed(view) }
            case .missedTraceback(let record): if output.wantsMissed { record.withMessageView { output.missed($0) } }
            case .regexLimitExceeded: break
            }
        }
        events.removeAll(keepingCapacity: true)
    }

    private func matched(_ record: LogRecord, hits: [RuleHit]) {
        let time = record.timestamp ?? clock
        let silent = alertCutoff.map { time < $0 } ?? false
        for hit in hits {
            if output.wantsMatches { output.match(record, hit: hit) }
            let labels = hit.rule.labels(captures: hit.captures, record: record)
            let fingerprint = hit.rule.fingerprint(labels: labels)
            aggregator.ingest(
                fingerprint, at: time, now: clock, count: record.repeats, silent: silent,
                info: { GroupInfo(rule: hit.rule.id, severity: hit.rule.severity, labels: redactor.redact(labels), timing: hit.rule.timing) },
                sample: {
                    // Only kept samples are rendered, so only they pay for redaction.
                    hit.rule.makeAlert(captures: redactor.redact(hit.captures), record: redactor.redact(record),
                                       labels: redactor.redact(labels), fingerprint: fingerprint, fallbackTime: time)
                })
        }
        // A group_wait of zero is due at once.
        if let deadline = aggregator.nextDeadline, deadline <= clock { aggregator.advance(to: clock) { deliver($0) } }
        refreshNextEvent()
    }

    // MARK: Correlation

    private func correlated(_ record: LogRecord, hits: [CorrelationHit]) {
        let time = record.timestamp ?? clock
        for hit in hits {
            let key = hit.rule.definition.key.flatMap { TemplateScope.lookup($0, captures: hit.captures, record: record) }
            switch hit.role {
            case .start:
                guard let key, !key.isEmpty else { continue }
                correlator.start(hit.rule, key: key, record: record, captures: hit.captures, at: time) { correlationEvent($0) }
            case .end:
                guard let key, !key.isEmpty else { continue }
                correlator.end(hit.rule, key: key, record: record, at: time) { correlationEvent($0) }
            case .expect:
                correlator.seen(hit.rule, record: record, at: time) { correlationEvent($0) }
            }
        }
        refreshNextEvent()
    }

    /// A stuck key, an absence or their end, folded like any other alert (group_wait,
    /// group_interval) under a group of its own kind, so it is sent with its reason.
    private func correlationEvent(_ event: CorrelationEvent) {
        let c = CorrelationAlert.make(event, redactor: redactor)
        if c.reason != .resolved { stage.countAlert(of: c.rule) }
        let silent = alertCutoff.map { c.time < $0 } ?? false
        aggregator.ingest(
            c.fingerprint, at: c.time, now: clock, silent: silent, facet: c.facet,
            info: { GroupInfo(rule: c.rule.id, severity: c.alert.severity, labels: redactor.redact(c.labels), timing: c.rule.timing,
                              reason: c.reason) },
            sample: { c.alert })
        if let deadline = aggregator.nextDeadline, deadline <= clock { aggregator.advance(to: clock) { deliver($0) } }
    }

    // MARK: Messages

    private func sendDigests() {
        let output = self.output
        digests.advance(to: clock, health: { output.deliveryHealth(since: $0) }) { config, batch in
            stats.batches += 1
            let names = config.notifiers.isEmpty ? loaded.renderers.map(\.name) : config.notifiers
            for name in names {
                guard let renderer = renderers[name] else { continue }
                stats.messagesByReason[.digest, default: 0] += 1
                stats.messagesByNotifier[name, default: 0] += 1
                output.message(OutgoingMessage(batch: batch, notifier: name, kind: renderer.kind, payload: renderer.render(batch)))
            }
        }
    }

    private func deliver(_ flush: GroupFlush<Alert>) {
        if flush.silent {
            stats.silencedBatches += 1
            return
        }
        let batch = AlertBatch(
            fingerprint: flush.fingerprint, rule: flush.info.rule, severity: flush.info.severity,
            labels: flush.info.labels, reason: flush.reason, alerts: flush.samples, count: flush.count,
            firstSeen: flush.firstSeen, lastSeen: flush.lastSeen, decidedAt: flush.decidedAt,
            episodeCount: flush.episodeCount, episodeStart: flush.episodeStart,
            previousMessageAt: flush.previousMessageAt, facets: flush.facets.isEmpty ? nil : flush.facets)
        stats.batches += 1
        digests.note(batch)
        let names = loaded.router.notifiers(rule: batch.rule, severity: batch.severity, labels: batch.labels)
        if names.isEmpty { stats.unroutedBatches += 1 }
        for name in names {
            guard let renderer = renderers[name] else { continue }
            let payload = renderer.render(batch)
            stats.messagesByReason[batch.reason, default: 0] += 1
            stats.messagesByNotifier[name, default: 0] += 1
            output.message(OutgoingMessage(batch: batch, notifier: name, kind: renderer.kind, payload: payload))
        }
    }
}
