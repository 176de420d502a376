/// What every notifier has, whatever its kind: its name and how the delivery worker paces,
/// retries and folds its queue. Core reads these keys; each kind (CrierNotifiers) reads
/// its own from the same entry (`NotifierEntry`).
public struct NotifierCommon: Hashable, Sendable {
    /// Routes and digests name it; unique among notifiers.
    public var name: String
    /// Configured pacing; the server's own limits are learned on top (DESIGN §5). Default:
    /// the kind's documented or observed limits (Discord 5 per 2 s and 30 per minute, Slack 1
    /// per second, e-mail 10 a minute and 60 an hour per recipient), none otherwise.
    public var rateLimit: RateLimitConfig?
    /// Retry a message until it is this old, then dead-letter it. Default 24 h: an alert a
    /// day late is history, and the outbox must not grow without end while a webhook is down.
    public var maxAge: Duration = .seconds(86_400)
    /// More pending messages than this and the queue folds into one summary (StormControl).
    /// Default 20: a chat channel cannot be read faster than that after an outage.
    public var stormThreshold = 20
    /// Where it was written (`notifiers[2]`, its line), for cross-checks reported after reading.
    public var path: String
    public var line: Int?

    public init(name: String, path: String = "", line: Int? = nil) {
        self.name = name
        self.path = path
        self.line = line
    }

    /// The shared keys of one entry; the kind's keys are left for its own reader.
    static func read(_ map: ConfigMap) -> NotifierCommon {
        var common = NotifierCommon(name: map.require("name")?.string() ?? "", path: map.path, line: map.node.line)
        common.maxAge = map.duration("max_age", allowZero: false) ?? common.maxAge
        common.stormThreshold = map["storm_threshold"]?.int(min: 1) ?? common.stormThreshold
        if let rate = map["rate_limit"]?.map() { common.rateLimit = RateLimitConfig.read(rate) }
        return common
    }
}
