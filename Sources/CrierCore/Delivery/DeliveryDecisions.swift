/// Why a delivery did not succeed. These are the only values of the failure metric label
/// and of `last_error` kinds in history, so the set stays closed.
public enum FailureReason: String, Sendable, Codable, CaseIterable {
    case badPayload = "bad_payload"
    case unauthorized
    case forbidden
    case unknownWebhook = "unknown_webhook"
    case gone
    case tooLarge = "too_large"
    case rateLimited = "rate_limited"
    case serverError = "server_error"
    case timeout
    case connect
    case tls
    case resolve
    case network
    case unexpectedStatus = "unexpected_status"
    case expired
    case mailRejected = "mail_rejected"
}

/// What a notifier makes of a response (its `classify`), acted on by the delivery worker.
public enum DeliveryOutcome: Equatable, Sendable {
    /// Done. `messageID` when the destination said which message it created (Discord `?wait=true`).
    case delivered(messageID: String?)
    /// Try again later (5xx, timeouts, network), with back-off; `after` when the server said.
    case retry(FailureReason, after: Duration?)
    /// The server's rate limit: wait `after` before sending anything else to it (or, when
    /// `global`, to every notifier of that kind). Not a failure of the webhook.
    case rateLimited(after: Duration, global: Bool)
    /// Never send this request again. `disablesNotifier` for 401/403/404/410: the webhook
    /// itself is wrong or gone, and hammering it risks a ban.
    case permanent(FailureReason, disablesNotifier: Bool)
}

/// Rate-limit facts read off a response's headers (Discord's `X-RateLimit-*`, any `Retry-After`).
public struct LearnedLimit: Equatable, Sendable, Codable {
    public var remaining: Int?
    public var resetAfter: Duration?
    public var bucket: String?
    public var limit: Int?

    public init(remaining: Int? = nil, resetAfter: Duration? = nil, bucket: String? = nil, limit: Int? = nil) {
        self.remaining = remaining
        self.resetAfter = resetAfter
        self.bucket = bucket
        self.limit = limit
    }

    /// Stored names (in `NotifierState`): renaming a property must not change them.
    enum CodingKeys: String, CodingKey { case remaining, resetAfter, bucket, limit }
}

/// Configured pacing as sliding windows: at most `count` sends in any `window`. A sliding
/// window is stricter than a token bucket of the same rate (which lets a full bucket plus a
/// refill through in one window), so the server's own window is never exceeded.
public struct SendRateLimiter: Sendable, Codable, Equatable {
    public struct Window: Sendable, Codable, Equatable {
        public var count: Int
        public var length: Duration
        /// Times of the sends inside the window, oldest first.
        var sent: [Timestamp] = []

        public init(count: Int, length: Duration) {
            self.count = max(1, count)
            self.length = length
        }
    }

    public private(set) var windows: [Window]

    public init(windows: [Window]) { self.windows = windows }

    /// From `rate_limit`: per_second, per_minute, per_hour, and `burst` as the most in any second.
    public init(_ config: RateLimitConfig?, default fallback: [Window] = []) {
        var w: [Window] = []
        if let c = config {
            if let n = c.perSecond { w.append(Window(perSecond: n)) }
            if let n = c.perMinute { w.append(Window(count: Int(n.rounded(.down)), length: .seconds(60))) }
            if let n = c.perHour { w.append(Window(count: Int(n.rounded(.down)), length: .seconds(3600))) }
            if let b = c.burst { w.append(Window(count: b, length: .seconds(1))) }
        }
        windows = w.isEmpty ? fallback : w
    }

    /// The earliest time a send is allowed (`now` or later).
    public func nextAllowed(now: Timestamp) -> Timestamp {
        var at = now
        for w in windows where w.sent.count >= w.count {
            // The oldest of the last `count` sends must leave the window first.
            let oldest = w.sent[w.sent.count - w.count]
            at = max(at, oldest + w.length)
        }
        return at
    }

    public mutating func record(sendAt now: Timestamp) {
        for i in windows.indices {
            windows[i].sent.append(now)
            let horizon = now - windows[i].length
            windows[i].sent.removeAll { $0 <= horizon }
            if windows[i].sent.count > windows[i].count { windows[i].sent.removeFirst(windows[i].sent.count - windows[i].count) }
        }
    }
}

extension SendRateLimiter.Window {
    /// `per_second: 0.5` is one send per 2 s.
    init(perSecond n: Double) {
        if n >= 1 {
            self.init(count: Int(n.rounded(.down)), length: .seconds(1))
        } else {
            self.init(count: 1, length: .microseconds(Int64((1 / n) * 1_000_000)))
        }
    }
}

/// Back-off between attempts: exponential with full jitter (a random wait between zero and
/// `base · 2^attempt`, capped), and a deadline after which a message is dead-lettered.
public struct RetryPolicy: Sendable, Equatable {
    /// Default 1 s.
    public var base: Duration = .seconds(1)
    /// Default 5 min: a webhook that is down for hours is retried every few minutes.
    public var cap: Duration = .seconds(300)
    /// Default 24 h: a message older than this is not worth sending any more.
    public var maxAge: Duration = .seconds(86_400)

    public init() {}

    /// The wait before attempt `attempt + 1`; `unit` is a random number in 0..<1.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Duration {
        let exponent = min(max(attempt, 0), 30)
        let ceiling = min(cap.microseconds, base.microseconds << Int64(exponent))
        return .microseconds(Int64(Double(ceiling) * min(max(unit, 0), 1)))
    }

    public func expired(createdAt: Timestamp, now: Timestamp) -> Bool { now - createdAt >= maxAge }
}

/// Closed → open after `threshold` consecutive failures → after `openFor`, half-open: one
/// probe; its success closes, its failure opens again. One dead webhook never delays others,
/// and a down one is not hammered.
public struct CircuitBreaker: Sendable, Equatable, Codable {
    public enum State: Sendable, Equatable, Codable {
        case closed(failures: Int)
        case open(until: Timestamp)
        case halfOpen(probing: Bool)

        enum CodingKeys: String, CodingKey { case closed, open, halfOpen }
        enum ClosedCodingKeys: String, CodingKey { case failures }
        enum OpenCodingKeys: String, CodingKey { case until }
        enum HalfOpenCodingKeys: String, CodingKey { case probing }
    }

    public var threshold = 5
    public var openFor: Duration = .seconds(60)
    public private(set) var state = State.closed(failures: 0)

    /// Stored names (in `NotifierState`): renaming a property must not change them.
    enum CodingKeys: String, CodingKey { case threshold, openFor, state }

    public init(threshold: Int = 5, openFor: Duration = .seconds(60)) {
        self.threshold = threshold
        self.openFor = openFor
    }

    /// When a send may go, and moves open → half-open when its time has come.
    public mutating func allowedAt(now: Timestamp) -> Timestamp? {
        switch state {
        case .closed: return now
        case .open(let until):
            if now >= until {
                state = .halfOpen(probing: false)
                return now
            }
            return until
        case .halfOpen(let probing):
            return probing ? nil : now  // nil: wait for the probe's answer
        }
    }

    /// When a send may go, without moving the state (a planner's question): an open breaker
    /// whose time has come allows one probe; nil while a probe waits for its answer.
    public func sendableAt(now: Timestamp) -> Timestamp? {
        switch state {
        case .closed: now
        case .open(let until): max(now, until)
        case .halfOpen(let probing): probing ? nil : now
        }
    }

    /// After a restart no probe is in flight any more, whatever was saved.
    public mutating func restored() {
        if case .halfOpen(true) = state { state = .halfOpen(probing: false) }
    }

    /// A request goes out: past an open breaker's time (or half-open), it is the one probe.
    public mutating func willSend() {
        switch state {
        case .closed: break
        case .open, .halfOpen: state = .halfOpen(probing: true)
        }
    }

    public mutating func succeeded() { state = .closed(failures: 0) }

    public mutating func failed(now: Timestamp) {
        switch state {
        case .closed(let failures):
            state = failures + 1 >= threshold ? .open(until: now + openFor) : .closed(failures: failures + 1)
        case .halfOpen, .open:
            state = .open(until: now + openFor)
        }
    }

    public var label: String {
        switch state {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half-open"
        }
    }
}
