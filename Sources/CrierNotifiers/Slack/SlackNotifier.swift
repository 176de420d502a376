public import CrierCore

/// Slack incoming webhooks: success is `200 ok`, errors are short plain-text strings, and
/// 429 carries `Retry-After` in whole seconds (WEBHOOK_APIS.md §2.5–2.6).
public struct SlackNotifier: Notifier {
    public let settings: SlackConfig
    private let renderer: SlackRenderer
    public var config: NotifierConfig { .slack(settings) }
    public var name: String { settings.common.name }
    public var kind: NotifierConfig.Kind { .slack }

    public init(config: SlackConfig) {
        settings = config
        renderer = SlackRenderer(config: config)
    }

    /// About one message per second per webhook.
    public var defaultLimits: [SendRateLimiter.Window] { [.init(count: 1, length: .seconds(1))] }

    public func render(_ batch: AlertBatch) -> RenderedPayload { renderer.render(batch) }

    /// `text` only (Slack advises at most 4,000 characters): the console text escaped as
    /// mrkdwn log text (`SlackText.mrkdwn`), so nothing in it formats, links or mentions.
    public func plainFallback(_ batch: AlertBatch) -> String? {
        var body = JSONObject()
        body["text"] = .string(TextLimit.fit(ConsoleRenderer.text(batch), to: SlackRenderer.Limit.text,
                                             measure: SlackRenderer.measure, escaper: SlackText.mrkdwn).text)
        body["unfurl_links"] = false
        body["unfurl_media"] = false
        return JSONValue.object(body).encoded
    }

    public func request(payload: String, editing messageID: String?, now: Timestamp) -> DeliveryRequest {
        var request = HTTPRequest(url: settings.webhookURL, headers: [("Content-Type", "application/json")],
                                  body: Array(payload.utf8))
        request.timeout = settings.connection.timeout
        request.connectTimeout = settings.connection.connectTimeout
        return .http(request)
    }

    public func classify(_ result: TransportResult, editing: Bool) -> Classified {
        var classified = classifyTransport(result)
        guard case .http(.success(let r)) = result else { return classified }
        let error = r.bodyText.trimmingCharacters(in: " \n\r\t")
        if r.status == 429 {
            // Decide on the status and Retry-After only: the body's shape has changed over time.
            classified.outcome = .rateLimited(after: r.headers["retry-after"].flatMap(NotifierText.seconds) ?? .seconds(1),
                                              global: false)
        } else if r.status == 400 || r.status == 403 || r.status == 404 || r.status == 410 {
            classified.detail = "HTTP \(r.status): \(NotifierText.excerpt(error))"
        }
        return classified
    }
}
