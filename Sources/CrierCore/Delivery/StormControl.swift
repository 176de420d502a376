/// Keeps a storm from becoming an hours-long queue: when more than `threshold` messages
/// wait for one notifier, pending messages of the same group are folded into one, and if
/// that is still too many, everything waiting becomes one summary ("37 alerts in 4 groups").
/// Nothing is dropped: every occurrence is counted in what is sent.
public enum StormControl {
    public static let summaryRule = "crier.summary"

    public struct Merge: Sendable {
        /// Outbox rows replaced by `batch`.
        public var sources: [Int64]
        public var batch: AlertBatch
    }

    public static func plan(_ pending: [(id: Int64, batch: AlertBatch)], threshold: Int, maxSamples: Int = 5) -> [Merge] {
        guard pending.count > threshold else { return [] }
        var order: [Fingerprint] = []
        var byGroup: [Fingerprint: [(id: Int64, batch: AlertBatch)]] = [:]
        for item in pending {
            if byGroup[item.batch.fingerprint] == nil { order.append(item.batch.fingerprint) }
            byGroup[item.batch.fingerprint, default: []].append(item)
        }
        if order.count <= threshold {
            return order.compactMap { fp in
                let items = byGroup[fp]!
                guard items.count > 1 else { return nil }
                return Merge(sources: items.map(\.id), batch: fold(items.map(\.batch), maxSamples: maxSamples))
            }
        }
        let groups = order.map { fold(byGroup[$0]!.map(\.batch), maxSamples: maxSamples) }
        return [Merge(sources: pending.map(\.id), batch: summary(groups))]
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
