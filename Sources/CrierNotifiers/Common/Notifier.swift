public import CrierCore

/// A notifier (DESIGN §5): render (from `BatchRenderer`), build the request, classify the
/// answer, and say what it can do (edit in place, a plain-text form). Pure: delivery does
/// the sending, waiting and bookkeeping, once for all kinds.
public protocol Notifier: BatchRenderer {
    var config: NotifierConfig { get }
    /// Pacing when `rate_limit` is not configured.
    var defaultLimits: [SendRateLimiter.Window] { get }
    /// A continuing burst updates the group's last message instead of posting a new one.
    var editsInPlace: Bool { get }
    /// How long a stopping crier goes on delivering what is due (nil: only the request in
    /// flight finishes; the rest waits in the outbox for the next start).
    var drainOnStop: Duration? { get }
    /// The request for a rendered payload; `editing` names a message to update in place.
    func request(payload: String, editing messageID: String?, now: Timestamp) -> DeliveryRequest
    /// What the transport's answer means: HTTP, SMTP or a printed line.
    func classify(_ result: TransportResult, editing: Bool) -> Classified
    /// A bare-text payload to send once when the rich one was refused with a 400 (a Block
    /// Kit or embed rule crier got wrong): resending the same body is a bug, and dropping the
    /// alert loses it (WEBHOOK_APIS.md §3, rule 1). nil: no such form.
    func plainFallback(_ batch: AlertBatch) -> String?
}

extension Notifier {
    public var defaultLimits: [SendRateLimiter.Window] { [] }
    public var editsInPlace: Bool { false }
    public var drainOnStop: Duration? { nil }
    public func plainFallback(_ batch: AlertBatch) -> String? { nil }

    public func classify(_ result: TransportResult, editing: Bool) -> Classified { classifyTransport(result) }

    /// The generic reading of any transport's answer (HTTP by `classifyHTTP`, SMTP by
    /// `classifyMail`); notifiers with their own reading of HTTP call this for the rest.
    public func classifyTransport(_ result: TransportResult) -> Classified {
        switch result {
        case .http(let http): classifyHTTP(http)
        case .mail(let mail): classifyMail(mail)
        case .printed: Classified(.delivered(messageID: nil), detail: "printed")
        }
    }

    /// The generic reading of an HTTP answer: 2xx delivered, 429 and 5xx later, the
    /// webhook's own errors (401/403/404/410) disable it, other 4xx are the payload's fault.
    public func classifyHTTP(_ result: Result<HTTPResponse, TransportFailure>) -> Classified {
        switch result {
        case .failure(let failure):
            return Classified(.retry(FailureReason(transport: failure), after: nil), detail: "\(failure)")
        case .success(let r):
            let detail = "HTTP \(r.status)\(r.body.isEmpty ? "" : ": \(NotifierText.excerpt(r.bodyText))")"
            let retryAfter = r.headers["retry-after"].flatMap(NotifierText.seconds)
            switch r.status {
            case 200..<300: return Classified(.delivered(messageID: nil), detail: "HTTP \(r.status)", status: r.status)
            case 429: return Classified(.rateLimited(after: retryAfter ?? .seconds(5), global: false), detail: detail, status: 429)
            case 408, 500..<600: return Classified(.retry(r.status == 408 ? .timeout : .serverError, after: retryAfter),
                                                   detail: detail, status: r.status)
            case 401: return Classified(.permanent(.unauthorized, disablesNotifier: true), detail: detail, status: 401)
            case 403: return Classified(.permanent(.forbidden, disablesNotifier: true), detail: detail, status: 403)
            case 404: return Classified(.permanent(.unknownWebhook, disablesNotifier: true), detail: detail, status: 404)
            case 410: return Classified(.permanent(.gone, disablesNotifier: true), detail: detail, status: 410)
            case 413: return Classified(.permanent(.tooLarge, disablesNotifier: false), detail: detail, status: 413)
            case 400..<500: return Classified(.permanent(.badPayload, disablesNotifier: false), detail: detail, status: r.status)
            default: return Classified(.permanent(.unexpectedStatus, disablesNotifier: false), detail: detail, status: r.status)
            }
        }
    }

    /// An SMTP attempt: a refused login disables the notifier, refused recipients or a
    /// refused message are the message's fault, anything else is tried again.
    public func classifyMail(_ result: Result<Void, TransportFailure>) -> Classified {
        switch result {
        case .success: return Classified(.delivered(messageID: nil), detail: "accepted by the SMTP server")
        case .failure(let failure):
            let text = failure.description.lowercased()
            if text.contains("login denied") || text.contains("authentication") {
                return Classified(.permanent(.unauthorized, disablesNotifier: true), detail: failure.description)
            }
            if text.contains("rcpt") || text.contains("recipient") || text.contains("mail from") {
                return Classified(.permanent(.mailRejected, disablesNotifier: false), detail: failure.description)
            }
            return Classified(.retry(FailureReason(transport: failure), after: nil), detail: failure.description)
        }
    }
}

extension FailureReason {
    public init(transport failure: TransportFailure) {
        switch failure {
        case .timeout: self = .timeout
        case .connect: self = .connect
        case .tls: self = .tls
        case .resolve: self = .resolve
        case .network: self = .network
        }
    }
}

enum NotifierText {
    /// A response body for history: one line, at most 200 characters.
    static func excerpt(_ body: String) -> String {
        let line = body.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }

    /// `Retry-After` in seconds (fractions allowed); HTTP dates are not used by webhooks.
    static func seconds(_ text: String) -> Duration? {
        guard let v = Double(text.trimmingCharacters(in: " ")), v >= 0, v.isFinite else { return nil }
        return .microseconds(Int64((v * 1_000_000).rounded(.up)))
    }
}

/// The console: prints the text payload (through `ConsoleTransport`). Never fails.
public struct ConsoleNotifier: Notifier {
    public let settings: ConsoleConfig
    private let renderer: ConsoleRenderer
    public var config: NotifierConfig { .console(settings) }
    public var name: String { settings.common.name }
    public var kind: NotifierConfig.Kind { .console }

    public init(config: ConsoleConfig) {
        settings = config
        renderer = ConsoleRenderer(name: config.common.name)
    }

    /// Printing costs nothing: what is due is printed before exit.
    public var drainOnStop: Duration? { .seconds(5) }

    public func render(_ batch: AlertBatch) -> RenderedPayload { renderer.render(batch) }

    public func request(payload: String, editing messageID: String?, now: Timestamp) -> DeliveryRequest {
        .console(JSONText.stringField("text", in: payload) ?? payload)
    }
}
