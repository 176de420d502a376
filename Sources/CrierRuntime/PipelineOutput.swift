public import CrierCore
public import CrierNotifiers

/// One message for one notifier: the batch, and the exact payload that would be sent.
public struct OutgoingMessage: Sendable {
    public var batch: AlertBatch
    public var notifier: String
    public var kind: NotifierConfig.Kind
    public var payload: RenderedPayload
}

/// Where the pipeline's results go: the replay report, the outbox (live), a test.
public protocol PipelineOutput: AnyObject {
    /// Delivery lines for a digest covering `since` until now (nil: not measured).
    func deliveryHealth(since: Timestamp) -> [String]?
    /// Every rule hit, when `wantsMatches` (`--matches`).
    func match(_ record: LogRecord, hit: RuleHit)
    /// A record no rule fired on, when `wantsMissed` (`--print-missed`); borrowed view.
    func missed(_ view: RecordView)
    /// A message decided for a notifier.
    func message(_ message: OutgoingMessage)
    var wantsMatches: Bool { get }
    var wantsMissed: Bool { get }
}

extension PipelineOutput {
    public func deliveryHealth(since: Timestamp) -> [String]? { nil }
    public func match(_ record: LogRecord, hit: RuleHit) {}
    public func missed(_ view: RecordView) {}
    public var wantsMatches: Bool { false }
    public var wantsMissed: Bool { false }
}
