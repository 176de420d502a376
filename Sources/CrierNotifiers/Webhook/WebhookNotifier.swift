public import CrierCore
import Crypto

/// A generic JSON webhook. The body is `GenericJSONRenderer`'s (`event` is `alert.firing`,
/// `alert.resolved` or `digest`), with the configured headers and, when a secret is set, a
/// signature a receiver checks before trusting the body:
///
///     X-Crier-Timestamp: 1795428000
///     X-Crier-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
///
/// The timestamp is part of what is signed, so a receiver that refuses timestamps more than
/// a few minutes old cannot be fed a replayed request.
public struct WebhookNotifier: Notifier {
    public let config: NotifierConfig
    public var name: String { config.name }
    public var kind: NotifierConfig.Kind { .webhook }

    public init(config: NotifierConfig) { self.config = config }

    public func render(_ batch: AlertBatch) -> RenderedPayload { GenericJSONRenderer(name: name).render(batch) }

    public func request(payload: String, editing messageID: String?, now: Timestamp) -> DeliveryRequest {
        var headers = [("Content-Type", "application/json")] + config.headers
        let event = JSONText.stringField("event", in: payload) ?? "alert.firing"
        headers.append(("X-Crier-Event", event))
        if let secret = config.signingSecret {
            let timestamp = String(now.seconds)
            headers.append(("X-Crier-Timestamp", timestamp))
            headers.append(("X-Crier-Signature", "v1=" + WebhookNotifier.signature(secret: secret, timestamp: timestamp, body: payload)))
        }
        var request = HTTPRequest(url: config.webhookURL ?? Secret(""), headers: headers, body: Array(payload.utf8))
        request.timeout = config.timeout
        request.connectTimeout = config.connectTimeout
        return .http(request)
    }

    public static func signature(secret: Secret, timestamp: String, body: String) -> String {
        let key = SymmetricKey(data: Array(secret.exposedValue.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: key)
        return mac.map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}

/// Alertmanager's `POST /api/v2/alerts`: each batch becomes one alert with the group's labels,
/// so Alertmanager's own routing and silences apply.
public struct AlertmanagerNotifier: Notifier {
    public let config: NotifierConfig
    public var name: String { config.name }
    public var kind: NotifierConfig.Kind { .alertmanager }

    public init(config: NotifierConfig) { self.config = config }

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
        var base = config.webhookURL?.exposedValue ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPRequest(url: Secret(base + "/api/v2/alerts"), headers: [("Content-Type", "application/json")],
                                  body: Array(payload.utf8))
        request.timeout = config.timeout
        request.connectTimeout = config.connectTimeout
        return .http(request)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
