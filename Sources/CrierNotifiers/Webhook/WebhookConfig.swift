public import CrierCore

/// A generic JSON webhook (`type: webhook`): any URL, extra headers, and an optional key to
/// sign each request with, so the receiver can tell crier's requests from forged ones.
public struct WebhookConfig: Sendable {
    /// Name, pacing, retry age and storm threshold: what every kind has.
    public var common: NotifierCommon
    /// `timeout`, `connect_timeout`, `ca_bundle`; defaults in `ConnectionConfig`.
    public var connection = ConnectionConfig()
    /// `webhook_url` or `webhook_url_file`. Required. Treated as a secret: receivers often
    /// carry a token in the path or query.
    public var webhookURL: Secret
    /// Extra HTTP headers, in file order (an `Authorization` for the receiver). Default none.
    public var headers: [(String, String)] = []
    /// HMAC-SHA256 key for `X-Crier-Signature` (`secret` or `secret_file`). Default: unsigned.
    public var signingSecret: Secret?

    public init(common: NotifierCommon, webhookURL: Secret) {
        self.common = common
        self.webhookURL = webhookURL
    }

    public init(name: String, webhookURL: Secret) {
        self.init(common: NotifierCommon(name: name), webhookURL: webhookURL)
    }

    /// The URL, the signing key, and header values whose name says they carry a credential
    /// (Authorization, X-Api-Key, a token, a cookie), for `KnownSecretScrubber`.
    public var secrets: [Secret] {
        let credentialHeaders = headers.filter { name, _ in
            let n = name.lowercased()
            return ["auth", "token", "key", "secret", "signature", "cookie", "password"].contains { n.contains($0) }
        }
        return [webhookURL] + [signingSecret].compactMap { $0 } + credentialHeaders.map { Secret($0.1) }
    }

    /// Every key, as a test decodes it.
    public static let example = """
        notifiers:
          - name: pager
            type: webhook
            webhook_url: https://hooks.example.com/crier
            headers: {Authorization: "Bearer ${PAGER_TOKEN:-token}"}
            secret_file: /run/credentials/crier.service/pager-signing-key
            ca_bundle: /etc/ssl/private-ca.pem
            connect_timeout: 3s
            max_age: 6h
        """

    static func read(_ entry: NotifierEntry) -> WebhookConfig? {
        let map = entry.map
        let url = EndpointURL.read(map, key: "webhook_url", fileKey: "webhook_url_file", kind: .webhook)
        var c = WebhookConfig(common: entry.common, webhookURL: url ?? Secret(""))
        c.connection = ConnectionConfig.read(map)
        c.headers = map["headers"]?.map()?.pairs().compactMap { k, v in v.string().map { (k, $0) } } ?? []
        c.signingSecret = map.secret("secret", file: "secret_file")
        return url == nil ? nil : c
    }
}
