/// What delivery keeps about a notifier between attempts and across restarts (stored in
/// `notifier_state.state`, read by `crier status` and `/api/v1/status`).
public struct NotifierState: Codable, Sendable, Equatable {
    public var breaker = CircuitBreaker()
    /// No request before this (a 429, or `X-RateLimit-Remaining: 0` until its reset).
    public var blockedUntil: Timestamp?
    public var learned: LearnedLimit?
    /// Set by 401/403/404/410: the webhook is wrong or gone; nothing is sent until the
    /// configured URL changes.
    public var disabledReason: String?
    /// Hash of the URL the disable applies to (a new URL re-enables the notifier).
    public var disabledURLHash: String?
    public var lastSuccess: Timestamp?
    public var lastFailure: Timestamp?
    public var lastError: String?

    public init() {}

    /// Stored names: renaming a property must not change them.
    enum CodingKeys: String, CodingKey {
        case breaker, blockedUntil, learned, disabledReason, disabledURLHash, lastSuccess, lastFailure, lastError
    }

    /// The state a notifier starts with: a probe saved in flight by a crash no longer blocks,
    /// and a disable recorded for another URL (the user fixed it) is lifted.
    /// - Returns: the state and, when a disable was lifted, its reason.
    public func restored(urlHash: String) -> (NotifierState, lifted: String?) {
        var s = self
        s.breaker.restored()
        guard let reason = s.disabledReason, s.disabledURLHash != urlHash else { return (s, nil) }
        s.disabledReason = nil
        s.disabledURLHash = nil
        s.breaker = CircuitBreaker(threshold: s.breaker.threshold, openFor: s.breaker.openFor)
        return (s, reason)
    }

    /// What a response said about the server's limits: kept, and an exhausted bucket
    /// (`X-RateLimit-Remaining: 0`) blocks until its reset.
    public mutating func learn(_ learned: LearnedLimit?, now: Timestamp) {
        guard let learned else { return }
        self.learned = learned
        if learned.remaining == 0, let reset = learned.resetAfter {
            blockedUntil = max(blockedUntil ?? .distantPast, now + reset)
        }
    }
}
