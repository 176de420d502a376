import CrierCore
import CrierPlatform
import Foundation
import CrierNotifiers
import CrierSources
import CrierStore
import Logging
import ServiceLifecycle

/// Runs the shared pipeline on the wall clock over what the followers read, and commits
/// each chunk's checkpoint with everything it caused in one transaction (DESIGN §1).
///
/// When a commit fails (a full disk, a locked file), nothing is acknowledged: the changes
/// stay in memory and are retried, and followers stop after a few chunks because their
/// slots are not released, so the backlog waits in the files and the journal.
final class PipelineService: Service, PipelineOutput, @unchecked Sendable {
    let pipeline: Pipeline
    let store: StateStore
    let queue: ChunkQueue
    let decoder: ChunkDecoder
    let delivery: DeliveryWakeup
    let timer: DeadlineTimer
    let logger: Logger
    let watchdog: Duration?

    private var pending: PendingChanges
    private var heldWasSaved = false
    private var lastWatchdogPing = Timestamp.distantPast
    private var failingSince: Timestamp?
    /// Test hook for the crash test: after decoding this many chunks, and before committing
    /// the last one, the process kills itself with SIGKILL (as `kill -9` would).
    private let crashAfterChunks = ProcessInfo.processInfo.environment["CRIER_TEST_SIGKILL_AFTER_CHUNKS"].flatMap { Int($0) }
    private var chunksDecoded = 0
    /// Counters for `/metrics` (nil: not exported).
    var metrics: PipelineMetrics?
    /// Called once the first commit after start has gone through (readiness).
    var onReady: @Sendable () -> Void = {}
    private var ready = false

    init(loaded: LoadedConfig, store: StateStore, queue: ChunkQueue, decoder: ChunkDecoder, delivery: DeliveryWakeup,
         timer: DeadlineTimer, logger: Logger, watchdog: Duration?) throws(StoreError) {
        self.store = store
        self.queue = queue
        self.decoder = decoder
        self.delivery = delivery
        self.timer = timer
        self.logger = logger
        self.watchdog = watchdog
        let now = WallClock.now()
        pending = PendingChanges(now: now)
        pipeline = Pipeline(loaded: loaded, source: "live", output: NullOutput.shared, startTime: now)
        pipeline.recordsMoveClock = false
        // Reading the backlog of a few minutes' downtime takes well under this.
        pipeline.correlationHeldUntil = now + PipelineService.correlationGrace
        let correlation = try store.loadCorrelation()
        let digests = try store.loadDigests()
        pipeline.restore(groups: try store.loadGroups(), held: try store.loadHeld(), open: correlation.open,
                         correlationRules: correlation.rules, digests: digests)
        pipeline.output = self
        pipeline.tick(to: now)
    }

    /// After a start, stuck and absence deadlines wait this long for the backlog to be read.
    static let correlationGrace = Duration.seconds(10)

    // MARK: Service

    func run() async throws {
        commitPending(now: WallClock.now())
        pingWatchdog(WallClock.now())
        arm()
        for await item in queue.items {
            let now = WallClock.now()
            pipeline.tick(to: now)
            if case .chunk(let chunk) = item {
                pipeline.source = chunk.source
                pipeline.alertCutoff = chunk.maxAge.map { now - $0 }
                decoder.decode(chunk) { pipeline.process(&$0) }
                pipeline.alertCutoff = nil
                chunksDecoded += 1
                if let crashAfterChunks, chunksDecoded >= crashAfterChunks { kill(getpid(), SIGKILL) }
                if let checkpoint = chunk.checkpoint { pending.checkpoints[chunk.source] = checkpoint }
                pending.acknowledgements += 1
            }
            metrics?.report(pipeline.stage.stats, malformed: decoder.malformed, pipeline: pipeline.stats)
            commitPending(now: now)
            pingWatchdog(now)
            arm()
        }
        // Input has ended (followers stopped). Wait for this service's turn in the shutdown
        // order, then send what groups hold and commit.
        try? await gracefulShutdown()
        pipeline.flushGroups(now: WallClock.now())
        commitPending(now: WallClock.now(), final: true)
        if !pending.isEmpty {
            logger.error("could not save the last changes to \(store.path); the records after the last checkpoint will be read again")
        }
    }

    // MARK: PipelineOutput

    func deliveryHealth(since: Timestamp) -> [String]? {
        guard let s = try? store.deliveryStats(since: since) else { return nil }
        if s.byNotifier.isEmpty { return ["Delivery: nothing was sent"] }
        return s.byNotifier.keys.sorted().map { name in
            let c = s.byNotifier[name]!
            let delivered = c[.delivered] ?? 0, dead = c[.dead] ?? 0
            let waiting = OutboxStatus.waiting.reduce(0) { $0 + (c[$1] ?? 0) }
            let rate = delivered + dead == 0 ? "" : String(format: " (%.1f%%)", Double(delivered) * 100 / Double(delivered + dead))
            let times = s.responseMillis[name] ?? []
            let p95 = times.isEmpty ? "" : "; p95 \(times[min(times.count - 1, Int(Double(times.count) * 0.95))]) ms"
            return "Delivery to \(name): \(delivered) delivered, \(dead) dead\(rate)" + (waiting > 0 ? ", \(waiting) waiting" : "") + p95
        }
    }

    func message(_ message: OutgoingMessage) {
        metrics?.message(notifier: message.notifier, reason: message.batch.reason)
        pending.outbox.append(OutboxEntry(message))
    }

    // MARK: Commit

    /// Digest counts are saved at most this often (or with a digest message, or at exit): a
    /// crash loses a few seconds of counts, and a busy stream does not rewrite them per batch.
    static let digestSaveInterval = Duration.seconds(10)
    private var lastDigestSave = Timestamp.distantPast

    private func commitPending(now: Timestamp, final: Bool = false) {
        let state = pipeline.takeStateChanges()
        for (fp, group) in state.groups {
            pending.groups[fp] = group
            pending.forgotten.remove(fp)
        }
        for fp in state.forgotten {
            pending.groups[fp] = nil
            pending.forgotten.insert(fp)
        }
        pending.correlation.merge(state.correlation)
        for (name, digest) in state.digests { pending.digests[name] = digest }
        let held = pipeline.stage.saveHeld()
        if !held.isEmpty || heldWasSaved { pending.held = held }
        let saveDigests = !pending.digests.isEmpty
            && (final || now - lastDigestSave >= Self.digestSaveInterval || pending.outbox.contains { $0.batch.reason == .digest })
        guard !pending.isEmptyWithoutDigests || saveDigests else {
            markReady()
            return
        }
        var changes = StateStore.Changes(now: now)
        changes.checkpoints = pending.checkpoints.map { ($0.key, $0.value) }
        changes.groups = Array(pending.groups)
        changes.forgottenGroups = Array(pending.forgotten)
        changes.held = pending.held
        changes.outbox = pending.outbox
        changes.correlation = pending.correlation
        if saveDigests { changes.digests = pending.digests }
        do {
            try store.commit(changes)
        } catch {
            if failingSince == nil {
                logger.error("cannot save state to \(store.path): \(error.message); holding \(pending.outbox.count) messages in memory and retrying")
            }
            failingSince = failingSince ?? now
            pending.retryAt = now + .seconds(1)
            metrics?.commitFailed()
            return
        }
        if failingSince != nil { logger.notice("state saved again to \(store.path)") }
        metrics?.committed(at: now)
        if logger.logLevel <= .debug {
            let positions = changes.checkpoints.map { source, position -> String in
                switch position {
                case .file(_, _, _, let offset, _, _): "\(source)@\(offset)"
                case .journal(let cursor): "\(source)@\(cursor)"
                }
            }
            logger.debug("saved: \(changes.outbox.count) messages, \(changes.groups.count) groups, checkpoints \(positions.sorted().joined(separator: " "))")
        }
        failingSince = nil
        if let held = pending.held { heldWasSaved = !held.isEmpty }
        let acknowledgements = pending.acknowledgements
        let newMessages = !pending.outbox.isEmpty
        let unsavedDigests = saveDigests ? [:] : pending.digests
        if saveDigests { lastDigestSave = now }
        pending = PendingChanges(now: now)
        pending.digests = unsavedDigests
        for _ in 0..<acknowledgements { queue.release() }
        if newMessages { delivery.wake() }
        markReady()
    }

    private func markReady() {
        guard !ready else { return }
        ready = true
        onReady()
    }

    private func arm() {
        var deadline = pipeline.nextDeadline
        if let retry = pending.retryAt { deadline = deadline.map { min($0, retry) } ?? retry }
        if let watchdog {
            let ping = lastWatchdogPing + .microseconds(watchdog.microseconds / 2)
            deadline = deadline.map { min($0, ping) } ?? ping
        }
        timer.arm(at: deadline)
    }

    private func pingWatchdog(_ now: Timestamp) {
        guard let watchdog, now - lastWatchdogPing >= .microseconds(watchdog.microseconds / 2) else { return }
        SystemdNotify.send("WATCHDOG=1")
        lastWatchdogPing = now
    }
}

/// Changes not yet written: merged across chunks while commits fail.
struct PendingChanges {
    var checkpoints: [String: SourceCheckpoint] = [:]
    var groups: [Fingerprint: Aggregator<Alert>.GroupState] = [:]
    var forgotten: Set<Fingerprint> = []
    var held: [HeldStreamSnapshot]?
    var outbox: [OutboxEntry] = []
    var correlation = Correlator.Changes()
    var digests: [String: DigestState] = [:]
    /// Chunks whose queue slots are released once this is written.
    var acknowledgements = 0
    var retryAt: Timestamp?
    let now: Timestamp

    init(now: Timestamp) { self.now = now }

    var isEmpty: Bool { isEmptyWithoutDigests && digests.isEmpty }

    var isEmptyWithoutDigests: Bool {
        checkpoints.isEmpty && groups.isEmpty && forgotten.isEmpty && held == nil && outbox.isEmpty && acknowledgements == 0
            && correlation.isEmpty
    }
}

/// Output for the moment between building a pipeline and attaching its real output.
final class NullOutput: PipelineOutput, Sendable {
    static let shared = NullOutput()
    func message(_ message: OutgoingMessage) {}
}
