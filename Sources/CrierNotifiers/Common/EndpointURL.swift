import CrierCore

/// The URL values of notifier configs: the endpoint itself (a secret, read inline or from a
/// file) and plain http(s) links such as an avatar. Messages never echo a secret value.
enum EndpointURL {
    /// The required endpoint at `key` or `fileKey`, which must be http(s).
    static func read(_ map: ConfigMap, key: String, fileKey: String, kind: NotifierKind) -> Secret? {
        guard let url = map.secret(key, file: fileKey) else {
            if !map.has(fileKey) {
                let article = "aeiou".contains(kind.rawValue.first ?? "x") ? "an" : "a"
                map.missing(key, "is required for \(article) \(kind.rawValue) notifier")
            }
            return nil
        }
        if !isHTTP(url.exposedValue) {
            // The value itself is a secret: say what is wrong without echoing it.
            map[key]?.error("must start with https:// (got \(url.isEmpty ? "an empty value" : "a value that does not"))")
        }
        return url
    }

    /// An optional http(s) link at `key` (an avatar or icon), which the service fetches itself.
    static func readLink(_ map: ConfigMap, _ key: String) -> String? {
        guard let node = map[key], let value = node.string() else { return nil }
        if !isHTTP(value) { node.error("must be an http:// or https:// URL, found '\(value)'") }
        return value
    }

    static func isHTTP(_ value: String) -> Bool {
        for scheme in ["https://", "http://"] where value.lowercased().hasPrefix(scheme) {
            return value.count > scheme.count
        }
        return false
    }
}
