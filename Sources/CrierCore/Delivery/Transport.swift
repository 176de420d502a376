/// A request a notifier wants sent. The URL is a `Secret`: webhook URLs are credentials.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", patch = "PATCH" }

    public var method: Method
    public var url: Secret
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Default 10 s: a chat webhook that has not answered by then will not.
    public var timeout: Duration = .seconds(10)
    /// Default 5 s.
    public var connectTimeout: Duration = .seconds(5)

    public init(method: Method = .post, url: Secret, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What came back: status, headers (names lowercased), body, and how long it took.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    public var duration: Duration

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], duration: Duration = .zero) {
        self.status = status
        self.headers = headers
        self.body = body
        self.duration = duration
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public static func == (a: HTTPResponse, b: HTTPResponse) -> Bool {
        a.status == b.status && a.headers == b.headers && a.body == b.body
    }
}

/// Why a request got no answer. The detail names host and port at most, never the URL's
/// path or query (where webhook tokens live).
public enum TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case timeout(String)
    case connect(String)
    case tls(String)
    case resolve(String)
    case network(String)

    public var description: String {
        switch self {
        case .timeout(let d): "timeout: \(d)"
        case .connect(let d): "cannot connect: \(d)"
        case .tls(let d): "TLS: \(d)"
        case .resolve(let d): "cannot resolve: \(d)"
        case .network(let d): "network: \(d)"
        }
    }

    /// The metric label: a closed set.
    public var reason: String {
        switch self {
        case .timeout: "timeout"
        case .connect: "connect"
        case .tls: "tls"
        case .resolve: "resolve"
        case .network: "network"
        }
    }
}

/// An e-mail to send through SMTP.
public struct MailRequest: Sendable {
    /// `smtp://host:587` (STARTTLS when `startTLS`) or `smtps://host:465`.
    public var server: Secret
    public var username: String?
    public var password: Secret?
    public var startTLS: Bool
    public var from: String
    public var recipients: [String]
    /// The whole message: headers, blank line, MIME body, CRLF line ends.
    public var message: [UInt8]
    public var timeout: Duration = .seconds(30)

    public init(server: Secret, username: String?, password: Secret?, startTLS: Bool, from: String, recipients: [String],
                message: [UInt8]) {
        self.server = server
        self.username = username
        self.password = password
        self.startTLS = startTLS
        self.from = from
        self.recipients = recipients
        self.message = message
    }
}

/// What a notifier asks a transport to do for one attempt.
public enum DeliveryRequest: Sendable {
    case http(HTTPRequest)
    case mail(MailRequest)
    /// Text for a terminal or a log (the console notifier).
    case console(String)
}

/// What a transport made of a `DeliveryRequest`, for the notifier's `classify`.
public enum TransportResult: Sendable {
    case http(Result<HTTPResponse, TransportFailure>)
    /// SMTP has no response worth keeping: accepted, or a failure naming the refusal.
    case mail(Result<Void, TransportFailure>)
    /// Written to the terminal.
    case printed
}

/// Sends requests. Blocking (libcurl, a write to a pipe), so delivery calls it from a thread
/// of its own, never from Swift's cooperative pool (DESIGN §4). Not required to be
/// thread-safe: one transport serves one notifier, one request at a time.
public protocol Transport: AnyObject {
    func send(_ request: DeliveryRequest) -> TransportResult
}
