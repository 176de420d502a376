import Foundation
import Synchronization

/// A Discord webhook as the delivery tests meet it: a per-webhook bucket (5 per 2 s) and a
/// channel limit (30 per minute), announced in `X-RateLimit-*` headers and enforced with
/// 429s; payload limits enforced with 400s; `?wait=true` answered with a message id.
/// It counts what a well-behaved client never causes: requests inside a window that was
/// full (429) and invalid payloads (400).
public final class DiscordEmulator: Sendable {
    public let server: FakeWebhookServer
    private let ledger: Ledger
    public var bucket: (count: Int, seconds: Double) { ledger.bucket }
    public var channel: (count: Int, seconds: Double) { ledger.channel }

    public init(bucket: (Int, Double) = (5, 2), channel: (Int, Double) = (30, 60)) throws {
        let ledger = Ledger(bucket: bucket, channel: channel)
        self.ledger = ledger
        server = try FakeWebhookServer { request in ledger.answer(request) }
    }

    public var url: String { server.url + "/api/webhooks/1/EMULATED-TOKEN" }

    public var snapshot: (accepted: [String], rateLimited: Int, invalid: Int, times: [Double]) {
        ledger.seen.withLock { ($0.accepted, $0.rateLimited, $0.invalid, $0.times) }
    }

    public var rateLimited: Int { snapshot.rateLimited }
    public var invalid: Int { snapshot.invalid }
    public var accepted: [String] { snapshot.accepted }
}

/// What the emulator has seen, behind one lock (the server answers on many threads), and
/// how it answers.
private final class Ledger: Sendable {
    struct Seen {
        var times: [Double] = []
        var rateLimited = 0
        var invalid = 0
        var accepted: [String] = []
    }

    let seen = Mutex(Seen())
    let bucket: (count: Int, seconds: Double)
    let channel: (count: Int, seconds: Double)

    init(bucket: (Int, Double), channel: (Int, Double)) {
        self.bucket = bucket
        self.channel = channel
    }

    func answer(_ request: FakeWebhookServer.Request) -> FakeWebhookServer.Reply {
        seen.withLock { seen in
            let now = request.receivedAt
            let inBucket = seen.times.filter { $0 > now - bucket.seconds }
            let inChannel = seen.times.filter { $0 > now - channel.seconds }
            if inBucket.count >= bucket.count || inChannel.count >= channel.count {
                seen.rateLimited += 1
                let wait = inBucket.count >= bucket.count ? inBucket.first! + bucket.seconds - now : inChannel.first! + channel.seconds - now
                let scope = inBucket.count >= bucket.count ? "user" : "shared"
                return .respond(status: 429, headers: [("Via", "1.1 google"), ("Retry-After", String(Int(wait.rounded(.up)))),
                                                       ("X-RateLimit-Scope", scope), ("Content-Type", "application/json")],
                                body: #"{"message": "You are being rate limited.", "retry_after": \#(wait), "global": false}"#)
            }
            if let problem = Ledger.invalid(request.json) {
                seen.invalid += 1
                return .respond(status: 400, headers: [("Via", "1.1 google")],
                                body: #"{"code": 50035, "message": "Invalid Form Body", "errors": "\#(problem)"}"#)
            }
            seen.times.append(now)
            seen.accepted.append(request.bodyText)
            let remaining = bucket.count - (inBucket.count + 1)
            let resetAfter = (inBucket.first ?? now) + bucket.seconds - now
            return .respond(status: 200, headers: [("Via", "1.1 google"), ("X-RateLimit-Limit", String(bucket.count)),
                                                   ("X-RateLimit-Remaining", String(remaining)),
                                                   ("X-RateLimit-Reset-After", String(format: "%.3f", resetAfter)),
                                                   ("X-RateLimit-Bucket", "emulated")],
                            body: #"{"id": "\#(1_000_000 + seen.times.count)"}"#)
        }
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
}
