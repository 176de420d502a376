public import CrierCore

/// Prometheus Alertmanager (`type: alertmanager`): alerts are posted to its API, so its
/// own routing, grouping and silences apply.
public struct AlertmanagerConfig: Sendable {
    /// Name, pacing, retry age and storm threshold: what every kind has.
    public var common: NotifierCommon
    /// `timeout`, `connect_timeout`, `ca_bundle`; defaults in `ConnectionConfig`.
    public var connection = ConnectionConfig()
    /// Alertmanager's base URL (`url` or `url_file`), e.g. `http://alertmanager:9093`;
    /// `/api/v2/alerts` is appended. Required. A secret: it may carry user:password.
    public var url: Secret

    public init(common: NotifierCommon, url: Secret) {
        self.common = common
        self.url = url
    }

    public init(name: String, url: Secret) {
        self.init(common: NotifierCommon(name: name), url: url)
    }

    public var secrets: [Secret] { [url] }

    /// Every key, as a test decodes it.
    public static let example = """
        notifiers:
          - name: am
            type: alertmanager
            url: http://alertmanager.monitoring:9093
            timeout: 5s
            storm_threshold: 50
        """

    static func read(_ entry: NotifierEntry) -> AlertmanagerConfig? {
        let map = entry.map
        let url = EndpointURL.read(map, key: "url", fileKey: "url_file", kind: .alertmanager)
        var c = AlertmanagerConfig(common: entry.common, url: url ?? Secret(""))
        c.connection = ConnectionConfig.read(map)
        return url == nil ? nil : c
    }
}
