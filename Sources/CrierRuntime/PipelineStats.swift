public import CrierCore

/// Counters of what the pipeline decided.
public struct PipelineStats: Sendable {
    /// Messages per reason, over all notifiers.
    public var messagesByReason: [BatchReason: Int] = [:]
    public var messagesByNotifier: [String: Int] = [:]
    public var batches = 0
    /// Batches that no route sent anywhere (counted, never silently lost).
    public var unroutedBatches = 0
    /// Batches made only of records older than `max_age`: state moved on, nothing sent.
    public var silencedBatches = 0
    public var messages: Int { messagesByNotifier.values.reduce(0, +) }
}
