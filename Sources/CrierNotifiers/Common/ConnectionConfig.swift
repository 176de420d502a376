import CrierCore

/// How a notifier that connects somewhere does it (every kind but the console). One struct
/// so that these keys mean the same thing for every kind that has them.
public struct ConnectionConfig: Hashable, Sendable {
    /// Total time for one request. Default 10 s: far longer than a healthy webhook takes,
    /// short enough that one hung server does not hold its queue for minutes.
    public var timeout: Duration = .seconds(10)
    /// Time to establish the connection. Default 5 s: a server that does not accept within
    /// that is down or unreachable, and the attempt is retried later.
    public var connectTimeout: Duration = .seconds(5)
    /// Trust this CA bundle (a PEM file) instead of the system's, for self-hosted endpoints
    /// with a private CA. Default: the system's trust store.
    public var caBundle: String?

    public init() {}

    /// `timeout`, `connect_timeout`, `ca_bundle`.
    static func read(_ map: ConfigMap) -> ConnectionConfig {
        var c = ConnectionConfig()
        c.timeout = map.duration("timeout", allowZero: false) ?? c.timeout
        c.connectTimeout = map.duration("connect_timeout", allowZero: false) ?? c.connectTimeout
        c.caBundle = map.string("ca_bundle")
        return c
    }
}
