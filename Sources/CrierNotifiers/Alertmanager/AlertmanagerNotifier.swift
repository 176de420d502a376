public import CrierCore

/// Alertmanager's `POST /api/v2/alerts`: each batch becomes one alert with the group's labels,
/// so Alertmanager's own routing and silences apply.
public struct AlertmanagerNotifier: Notifier {
    public let settings: AlertmanagerConfig
    public var config: NotifierConfig { .alertmanager(settings) }
    public var name: String { settings.common.name }
    public var kind: NotifierConfig.Kind { .alertmanager }

    public init(config: AlertmanagerConfig) { settings = config }

    public func render(_ batch: AlertBatch) -> RenderedPayload {
        var labels = JSONObject()
        labels["alertname"] = .string(batch.rule)
        labels["severity"] = .string(batch.severity.rawValue)
        for label in batch.labels { labels[label.name] = .string(label.value) }
        if let host = batch.lead?.host { labels["instance"] = .string(host) }
        var annotations = JSONObject()
        annotations["summary"] = .string(BatchSummary.headline(batch))
        annotations["description"] = .string(batch.lead?.body ?? "")
        if let line = BatchSummary.countLine(batch) { annotations["count"] = .string(line) }
        var alert = JSONObject()
        alert["labels"] = .object(labels)
        alert["annotations"] = .object(annotations)
        alert["startsAt"] = .string(batch.firstSeen.iso8601)
        if batch.reason == .resolved { alert["endsAt"] = .string(batch.lastSeen.iso8601) }
        if let link = batch.lead?.link { alert["generatorURL"] = .string(link) }
        return RenderedPayload(body: .array([.object(alert)]))
    }

    public func request(payload: String, editing messageID: String?, now: Timestamp) -> DeliveryRequest {
        var base = settings.url.exposedValue
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPRequest(url: Secret(base + "/api/v2/alerts"), headers: [("Content-Type", "application/json")],
                                  body: Array(payload.utf8))
        request.timeout = settings.connection.timeout
        request.connectTimeout = settings.connection.connectTimeout
        return .http(request)
    }
}
