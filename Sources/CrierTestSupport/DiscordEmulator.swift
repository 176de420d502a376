import Foundation

/// A Discord webhook as the delivery tests meet it: a per-webhook bucket (5 per 2 s) and a
/// channel limit (30 per minute), announced in `X-RateLimit-*` headers and enforced with
/// 429s; payload limits enforced with 400s; `?wait=true` answered with a message id.
/// It counts what a well-behaved client never causes: requests inside a window that was
/// full (429) and invalid payloads (400).
public final class DiscordEmulator: @unchecked Sendable {
    public private(set) var server: FakeWebhookServer!
    private let lock = NSLock()
    private var times: [Double] = []
    public private(set) var rateLimited = 0
    public private(set) var invalid = 0
    public private(set) var accepted: [String] = []
    public let bucket: (count: Int, seconds: Double)
    public let channel: (count: Int, seconds: Double)

    public init(bucket: (Int, Double) = (5, 2), channel: (Int, Double) = (30, 60)) throws {
        self.bucket = bucket
        self.channel = channel
        server = try FakeWebhookServer { [unowned self] request in answer(request) }
    }

    public var url: String { server.url + "/api/webhooks/1/EMULATED-TOKEN" }

    private func answer(_ request: FakeWebhookServer.Request) -> FakeWebhookServer.Reply {
        lock.lock()
        defer { lock.unlock() }
        let now = request.receivedAt
        let inBucket = times.filter { $0 > now - bucket.seconds }
        let inChannel = times.filter { $0 > now - channel.seconds }
        if inBucket.count >= bucket.count || inChannel.count >= channel.count {
            rateLimited += 1
            let wait = inBucket.count >= bucket.count ? inBucket.first! + bucket.seconds - now : inChannel.first! + channel.seconds - now
            let scope = inBucket.count >= bucket.count ? "user" : "shared"
            return .respond(status: 429, headers: [("Via", "1.1 google"), ("Retry-After", String(Int(wait.rounded(.up)))),
                                                   ("X-RateLimit-Scope", scope), ("Content-Type", "application/json")],
                            body: #"{"message": "You are being rate limited.", "retry_after": \#(wait), "global": false}"#)
        }
        if let problem = DiscordEmulator.invalid(request.json) {
            invalid += 1
            return .respond(status: 400, headers: [("Via", "1.1 google")],
                            body: #"{"code": 50035, "message": "Invalid Form Body", "errors": "\#(problem)"}"#)
        }
        times.append(now)
        accepted.append(request.bodyText)
        let remaining = bucket.count - (inBucket.count + 1)
        let resetAfter = (inBucket.first ?? now) + bucket.seconds - now
        return .respond(status: 200, headers: [("Via", "1.1 google"), ("X-RateLimit-Limit", String(bucket.count)),
                                               ("X-RateLimit-Remaining", String(remaining)),
                                               ("X-RateLimit-Reset-After", String(format: "%.3f", resetAfter)),
                                               ("X-RateLimit-Bucket", "emulated")],
                        body: #"{"id": "\#(1_000_000 + times.count)"}"#)
    }

    /// The documented limits (WEBHOOK_APIS.md §1.3); nil when the payload is valid.
    static func invalid(_ json: Any?) -> String? {
        guard let body = json as? [String: Any] else { return "not a JSON object" }
        let content = body["content"] as? String ?? ""
        let embeds = body["embeds"] as? [[String: Any]] ?? []
        if content.isEmpty && embeds.isEmpty { return "empty message" }
        if content.utf16.count > 2000 { return "content too long" }
        if embeds.count > 10 { return "too many embeds" }
        var total = 0
        for e in embeds {
            let title = e["title"] as? String ?? "", description = e["description"] as? String ?? ""
            let footer = (e["footer"] as? [String: Any])?["text"] as? String ?? ""
            if title.utf16.count > 256 || description.utf16.count > 4096 || footer.utf16.count > 2048 { return "embed text too long" }
            let fields = e["fields"] as? [[String: Any]] ?? []
            if fields.count > 25 { return "too many fields" }
            for f in fields {
                let name = f["name"] as? String ?? "", value = f["value"] as? String ?? ""
                if name.isEmpty || value.isEmpty || name.utf16.count > 256 || value.utf16.count > 1024 { return "bad field" }
                total += name.utf16.count + value.utf16.count
            }
            total += title.utf16.count + description.utf16.count + footer.utf16.count
        }
        return total > 6000 ? "MAX_EMBED_SIZE_EXCEEDED" : nil
    }

    public var snapshot: (accepted: [String], rateLimited: Int, invalid: Int, times: [Double]) {
        lock.withLock { (accepted, rateLimited, invalid, times) }
    }
}
