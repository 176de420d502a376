/// The admin HTTP server (`server:`).
public struct ServerConfig: Sendable {
    public static let defaultListen = "127.0.0.1:9107"
    /// Admin HTTP server address (`/metrics`, `/healthz`, `/readyz`, `/api/v1/...`). Default
    /// loopback only: metrics and delivery state are not for the public. The server runs
    /// only when `server:` is configured.
    public var listen: String

    /// `host:port`, `[v6]:port` or `:port` (every interface); nil when not that shape.
    public static func hostPort(_ listen: String) -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65_535).contains(port) else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        if host.contains(":") && !listen.hasPrefix("[") { return nil }  // an IPv6 address needs brackets
        return (host, port)
    }

    static func read(_ map: ConfigMap) -> ServerConfig {
        let config = ServerConfig(listen: map.string("listen") ?? ServerConfig.defaultListen)
        if ServerConfig.hostPort(config.listen) == nil {
            map["listen"]?.error("expected host:port (e.g. 127.0.0.1:9107, [::1]:9107 or :9107 for every interface)")
        }
        map.finish()
        return config
    }
}
