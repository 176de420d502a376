/// A notifier's configured pacing (`rate_limit:`); any window left out is not limited.
public struct RateLimitConfig: Hashable, Sendable {
    public var perSecond: Double?
    public var perMinute: Double?
    public var perHour: Double?
    /// Messages allowed at once before the windows apply. Default: the windows alone.
    public var burst: Int?

    public init(perSecond: Double? = nil, perMinute: Double? = nil, perHour: Double? = nil, burst: Int? = nil) {
        self.perSecond = perSecond
        self.perMinute = perMinute
        self.perHour = perHour
        self.burst = burst
    }

    static func read(_ map: ConfigMap) -> RateLimitConfig {
        defer { map.finish() }
        return RateLimitConfig(perSecond: map["per_second"]?.double(min: 0.001), perMinute: map["per_minute"]?.double(min: 0.001),
                               perHour: map["per_hour"]?.double(min: 0.001), burst: map["burst"]?.int(min: 1))
    }
}
