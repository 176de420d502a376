/// Keeps a storm from becoming an hours-long queue: when more than `threshold` messages
/// wait for one notifier, pending messages of the same group are folded into one, and if
/// that is still too many, everything waiting becomes one summary ("37 alerts in 4 groups").
/// Nothing is dropped: every occurrence is counted in what is sent, and every group folded
/// into a summary stays nameable: a summary keeps its groups, and folding again lists them
/// again instead of folding the summary as if it were one group.
public enum StormControl {
    public static let summaryRule = "crier.summary"

    /// A waiting message: one group's batch, or a summary with the groups it stands for.
    public struct Item: Sendable {
        public var id: Int64
        public var batch: AlertBatch
        /// A summary's groups; nil for a group's own message.
        public var members: [AlertBatch]?

        public init(id: Int64, batch: AlertBatch, members: [AlertBatch]? = nil) {
            self.id = id
            self.batch = batch
            self.members = members
        }

        public init(_ row: PendingDelivery) {
            self.init(id: row.id, batch: row.batch, members: row.kind == .stormSummary ? row.members : nil)
        }
    }

    public struct Merge: Sendable, Equatable {
        /// Outbox rows replaced by `batch`.
        public var sources: [Int64]
        public var batch: AlertBatch
        /// For a summary, the groups it lists (one batch per group, first sample only); empty
        /// for a fold of one group.
        public var members: [AlertBatch]

        public var kind: OutboxMessageKind { members.isEmpty ? .alert : .stormSummary }
    }

    public static func plan(_ pending: [(id: Int64, batch: AlertBatch)], threshold: Int, maxSamples: Int = 5) -> [Merge] {
        plan(pending.map { Item(id: $0.id, batch: $0.batch) }, threshold: threshold, maxSamples: maxSamples)
    }

    public static func plan(_ pending: [Item], threshold: Int, maxSamples: Int = 5) -> [Merge] {
        guard pending.count > threshold else { return [] }
        var order: [Fingerprint] = []
        var byGroup: [Fingerprint: [(id: Int64, batch: AlertBatch)]] = [:]
        for item in pending where item.members == nil {
            if byGroup[item.batch.fingerprint] == nil { order.append(item.batch.fingerprint) }
            byGroup[item.batch.fingerprint, default: []].append((item.id, item.batch))
        }
        let summaries = pending.filter { $0.members != nil }
        if summaries.isEmpty && order.count <= threshold {
            return order.compactMap { fp in
                let items = byGroup[fp]!
                guard items.count > 1 else { return nil }
                return Merge(sources: items.map(\.id), batch: fold(items.map(\.batch), maxSamples: maxSamples), members: [])
            }
        }
        // One summary for everything: earlier summaries' groups join the waiting ones.
        var memberOrder: [Fingerprint] = []
        var memberBatches: [Fingerprint: [AlertBatch]] = [:]
        func add(_ batch: AlertBatch) {
            if memberBatches[batch.fingerprint] == nil { memberOrder.append(batch.fingerprint) }
            memberBatches[batch.fingerprint, default: []].append(batch)
        }
        for summary in summaries { summary.members!.forEach(add) }
        for fp in order { byGroup[fp]!.forEach { add($0.batch) } }
        let groups = memberOrder.map { fold(memberBatches[$0]!, maxSamples: maxSamples) }
        return [Merge(sources: pending.map(\.id), batch: summary(groups), members: groups.map(member))]
    }

    /// A group as a summary keeps it: what its line needs (headline, count, times), one sample.
    static func member(_ group: AlertBatch) -> AlertBatch {
        var m = group
        m.alerts = Array(group.alerts.prefix(1))
        return m
    }

    /// Several messages of one group as one: counts added, first samples kept.
    public static func fold(_ batches: [AlertBatch], maxSamples: Int) -> AlertBatch {
        var b = batches[0]
        guard batches.count > 1 else { return b }
        b.count = batches.reduce(0) { $0 + $1.count }
        b.alerts = Array(batches.flatMap(\.alerts).prefix(maxSamples))
        b.firstSeen = batches.map(\.firstSeen).min()!
        b.lastSeen = batches.map(\.lastSeen).max()!
        b.decidedAt = batches.map(\.decidedAt).max()!
        b.episodeCount = batches.map(\.episodeCount).max()!
        b.episodeStart = batches.map(\.episodeStart).min()!
        b.previousMessageAt = batches.compactMap(\.previousMessageAt).min()
        if batches.contains(where: { $0.reason == .first }) { b.reason = .first }
        return b
    }

    /// One message for many groups, the largest first.
    public static func summary(_ groups: [AlertBatch]) -> AlertBatch {
        let total = groups.reduce(0) { $0 + $1.count }
        let sorted = groups.sorted { $0.count > $1.count }
        // Up to 60 groups by name (fits a Discord description); beyond that, a count.
        let shown = sorted.prefix(60)
        var lines = shown.map { "\(HumanFormat.count($0.count))× \(BatchSummary.cut(BatchSummary.headline($0)))" }
        if sorted.count > shown.count {
            let rest = sorted.dropFirst(shown.count)
            lines.append("…and \(HumanFormat.count(rest.reduce(0) { $0 + $1.count })) more in \(rest.count) other groups")
        }
        var fp = Fingerprint()
        fp.combine(summaryRule)
        let severity = groups.map(\.severity).max() ?? .warning
        let first = groups.map(\.firstSeen).min()!
        let last = groups.map(\.lastSeen).max()!
        let overview = Alert(rule: summaryRule, severity: severity,
                             title: "\(HumanFormat.count(total)) alerts in \(groups.count) groups",
                             body: lines.joined(separator: "\n"), fingerprint: fp, timestamp: last,
                             excerpt: "storm summary")
        return AlertBatch(fingerprint: fp, rule: summaryRule, severity: severity, labels: [], reason: .burst,
                          alerts: [overview], count: total, firstSeen: first, lastSeen: last,
                          decidedAt: groups.map(\.decidedAt).max()!, episodeCount: total, episodeStart: first)
    }
}
