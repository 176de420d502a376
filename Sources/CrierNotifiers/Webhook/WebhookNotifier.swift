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
    public let settings: WebhookConfig
    public var config: NotifierConfig { .webhook(settings) }
    public var name: String { settings.common.name }
    public var kind: NotifierConfig.Kind { .webhook }

    public init(config: WebhookConfig) { settings = config }

    public func render(_ batch: AlertBatch) -> RenderedPayload { GenericJSONRenderer(name: name).render(batch) }

    public func request(payload: String, editing messageID: String?, now: Timestamp) -> DeliveryRequest {
        var headers = [("Content-Type", "application/json")] + settings.headers
        let event = JSONText.stringField("event", in: payload) ?? "alert.firing"
        headers.append(("X-Crier-Event", event))
        if let secret = settings.signingSecret {
            let timestamp = String(now.seconds)
            headers.append(("X-Crier-Timestamp", timestamp))
            headers.append(("X-Crier-Signature", "v1=" + WebhookNotifier.signature(secret: secret, timestamp: timestamp, body: payload)))
        }
        var request = HTTPRequest(url: settings.webhookURL, headers: headers, body: Array(payload.utf8))
        request.timeout = settings.connection.timeout
        request.connectTimeout = settings.connection.connectTimeout
        return .http(request)
    }

    public static func signature(secret: Secret, timestamp: String, body: String) -> String {
        let key = SymmetricKey(data: Array(secret.exposedValue.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: key)
        return mac.map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
