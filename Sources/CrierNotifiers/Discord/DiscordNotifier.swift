public import CrierCore

/// Discord *Execute Webhook*: posts with `?wait=true` (so success is certain and the message
/// id is known), edits a burst's message in place with PATCH, and reads Discord's rate-limit
/// headers and 429 bodies (WEBHOOK_APIS.md §1.5–1.6).
public struct DiscordNotifier: Notifier {
    public let settings: DiscordConfig
    private let renderer: DiscordRenderer
    public var config: NotifierConfig { .discord(settings) }
    public var name: String { settings.common.name }
    public var kind: NotifierConfig.Kind { .discord }

    public init(config: DiscordConfig) {
        settings = config
        renderer = DiscordRenderer(config: config)
    }

    /// `update: edit` (the default): a continuing burst edits the group's message.
    public var editsInPlace: Bool { config.update == .edit }

    /// 5 per 2 s per webhook and about 30 per minute per channel (observed).
    public var defaultLimits: [SendRateLimiter.Window] {
        [.init(count: 5, length: .seconds(2)), .init(count: 30, length: .seconds(60))]
    }

    public func render(_ batch: AlertBatch) -> RenderedPayload { renderer.render(batch) }

    /// `content` only (2,000 code points): the console text escaped exactly like the embed's
    /// Markdown fields, so the resend is as inert as the payload Discord refused. It never
    /// pings (not even crier's own `@here`), and SUPPRESS_EMBEDS keeps URLs from unfurling.
    public func plainFallback(_ batch: AlertBatch) -> String? {
        var body = JSONObject()
        if let username = settings.username { body["username"] = .string(String(username.prefix(DiscordRenderer.Limit.username))) }
        if let avatarURL = settings.avatarURL { body["avatar_url"] = .string(avatarURL) }
        body["content"] = .string(TextLimit.fit(ConsoleRenderer.text(batch), to: DiscordRenderer.Limit.content,
                                                measure: DiscordRenderer.measure, escaper: DiscordMarkdown.escaper).text)
        body["allowed_mentions"] = .object(["parse": .array([])])
        body["flags"] = .int(DiscordNotifier.suppressEmbeds)
        return JSONValue.object(body).encoded
    }

    /// Execute-Webhook flag SUPPRESS_EMBEDS (1 << 2): no preview embeds for links.
    static let suppressEmbeds: Int64 = 1 << 2

    public func request(payload: String, editing messageID: String?, now: Timestamp) -> DeliveryRequest {
        let base = settings.webhookURL.exposedValue
        let (path, query) = DiscordNotifier.split(base)
        var request: HTTPRequest
        if let messageID {
            // PATCH /webhooks/{id}/{token}/messages/{message_id}, keeping thread_id if any.
            let thread = query.split(separator: "&").filter { $0.hasPrefix("thread_id=") }
            request = HTTPRequest(method: .patch, url: Secret("\(path)/messages/\(messageID)"
                + (thread.isEmpty ? "" : "?" + thread.joined(separator: "&"))))
        } else {
            let q = query.split(separator: "&").filter { !$0.hasPrefix("wait=") }.map(String.init) + ["wait=true"]
            request = HTTPRequest(method: .post, url: Secret("\(path)?\(q.joined(separator: "&"))"))
        }
        request.headers = [("Content-Type", "application/json")]
        request.body = Array(payload.utf8)
        request.timeout = settings.connection.timeout
        request.connectTimeout = settings.connection.connectTimeout
        return .http(request)
    }

    static func split(_ url: String) -> (String, String) {
        guard let q = url.firstIndex(of: "?") else { return (url, "") }
        return (String(url[..<q]), String(url[url.index(after: q)...]))
    }

    public func classify(_ result: TransportResult, editing: Bool) -> Classified {
        var classified = classifyTransport(result)
        guard case .http(.success(let r)) = result else { return classified }
        classified.learned = DiscordNotifier.learned(r)
        switch r.status {
        case 200, 204:
            let id = r.status == 200 ? JSONText.object(r.body)?["id"] as? String : nil
            classified.outcome = .delivered(messageID: id)
        case 429:
            let body = JSONText.object(r.body)
            let retryAfter = (body?["retry_after"] as? Double).map { Duration.microseconds(Int64(($0 * 1_000_000).rounded(.up))) }
            let header = r.headers["retry-after"].flatMap(NotifierText.seconds)
            if body == nil && r.headers["via"] == nil {
                // Not Discord's API answering: Cloudflare's ban for too many invalid requests.
                classified.outcome = .rateLimited(after: max(header ?? .zero, .seconds(600)), global: true)
                classified.detail = "HTTP 429 from Cloudflare (IP temporarily banned for invalid requests)"
            } else {
                let wait = max(retryAfter ?? .zero, header ?? .zero, .milliseconds(100))
                classified.outcome = .rateLimited(after: wait, global: (body?["global"] as? Bool) ?? false)
            }
        case 404 where editing:
            // The message to edit was deleted: post a new one (the worker does).
            classified.outcome = .permanent(.unknownWebhook, disablesNotifier: false)
            classified.detail = "message to edit no longer exists"
        default:
            if let code = JSONText.object(r.body)?["code"] as? Int { classified.detail += " (Discord code \(code))" }
        }
        return classified
    }

    static func learned(_ r: HTTPResponse) -> LearnedLimit? {
        let h = r.headers
        guard h["x-ratelimit-remaining"] != nil || h["x-ratelimit-reset-after"] != nil else { return nil }
        return LearnedLimit(remaining: h["x-ratelimit-remaining"].flatMap { Int($0) },
                            resetAfter: h["x-ratelimit-reset-after"].flatMap(NotifierText.seconds),
                            bucket: h["x-ratelimit-bucket"], limit: h["x-ratelimit-limit"].flatMap { Int($0) })
    }
}
