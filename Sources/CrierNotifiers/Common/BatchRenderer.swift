public import CrierCore

/// What a notifier would send for one batch: the exact JSON body, and what had to be cut
/// to fit the destination's limits (logged, and shown by replay).
public struct RenderedPayload: Hashable, Sendable {
    public var body: JSONValue
    /// One line per visible truncation, e.g. `embeds[0].description cut to 4096`.
    public var truncations: [String]

    public init(body: JSONValue, truncations: [String] = []) {
        self.body = body
        self.truncations = truncations
    }
}

/// The pure half of a notifier (DESIGN §5): a batch in, a payload out, limits applied.
public protocol BatchRenderer: Sendable {
    var name: String { get }
    var kind: NotifierConfig.Kind { get }
    func render(_ batch: AlertBatch) -> RenderedPayload
}

public enum Renderers {
    /// The renderer for a configured notifier (what replay shows and the outbox stores).
    public static func make(_ config: NotifierConfig) -> any BatchRenderer { Notifiers.make(config) }
}

public enum Notifiers {
    /// The notifier for a config entry.
    public static func make(_ config: NotifierConfig) -> any Notifier {
        switch config {
        case .discord(let c): DiscordNotifier(config: c)
        case .slack(let c): SlackNotifier(config: c)
        case .console(let c): ConsoleNotifier(config: c)
        case .webhook(let c): WebhookNotifier(config: c)
        case .email(let c): EmailNotifier(config: c)
        case .alertmanager(let c): AlertmanagerNotifier(config: c)
        }
    }
}

/// Severity colours shared by the chat renderers (0xRRGGBB). A resolved message is green
/// and a digest grey whatever the rule's severity: they report, they do not alarm.
enum SeverityStyle {
    static func color(_ batch: AlertBatch) -> Int64 {
        switch batch.reason {
        case .resolved: 0x2ECC71
        case .digest: 0x95A5A6
        default: color(batch.severity)
        }
    }

    /// The emoji itself, not a `:code:`: Slack headers are sent with `emoji: false` so that
    /// codes in log text stay text.
    static func symbol(_ batch: AlertBatch) -> String {
        switch batch.reason {
        case .resolved: "\u{2705}"  // white heavy check mark
        case .digest: "\u{1F4CA}"  // bar chart
        default: symbol(batch.severity)
        }
    }

    /// `[ERROR]`, `[RESOLVED]`, `[DIGEST]` for text forms.
    static func tag(_ batch: AlertBatch) -> String {
        switch batch.reason {
        case .resolved, .digest: batch.reason.rawValue.uppercased()
        default: batch.severity.rawValue.uppercased()
        }
    }

    static func color(_ severity: Severity) -> Int64 {
        switch severity {
        case .info: 0x3498DB  // blue
        case .warning: 0xF1C40F  // yellow
        case .error: 0xE74C3C  // red
        case .critical: 0x992D22  // dark red
        }
    }

    static func symbol(_ severity: Severity) -> String {
        switch severity {
        case .info: "\u{2139}\u{FE0F}"  // information source
        case .warning: "\u{26A0}\u{FE0F}"  // warning sign
        case .error: "\u{274C}"  // cross mark
        case .critical: "\u{1F6A8}"  // rotating light
        }
    }
}

/// The neutral JSON form of a batch: the generic webhook body, and what replay shows for
/// destinations without a dedicated renderer.
public struct GenericJSONRenderer: BatchRenderer {
    public let name: String
    public let kind: NotifierConfig.Kind

    public init(name: String, kind: NotifierConfig.Kind = .webhook) {
        self.name = name
        self.kind = kind
    }

    public func render(_ batch: AlertBatch) -> RenderedPayload {
        RenderedPayload(body: GenericJSONRenderer.object(batch))
    }

    public static func object(_ batch: AlertBatch) -> JSONValue {
        var o = JSONObject()
        o["event"] = .string(batch.reason == .resolved ? "alert.resolved" : batch.reason == .digest ? "digest" : "alert.firing")
        o["reason"] = .string(batch.reason.rawValue)
        o["rule"] = .string(batch.rule)
        o["severity"] = .string(batch.severity.rawValue)
        o["fingerprint"] = .string(batch.fingerprint.description)
        o["labels"] = .object(JSONObject(batch.labels.map { ($0.name, .string($0.value)) }))
        o["count"] = .int(Int64(batch.count))
        o["suppressed"] = .int(Int64(batch.suppressed))
        o["first_seen"] = .string(batch.firstSeen.iso8601)
        o["last_seen"] = .string(batch.lastSeen.iso8601)
        o["title"] = .string(BatchSummary.headline(batch))
        if let line = BatchSummary.countLine(batch) { o["summary"] = .string(line) }
        o["alerts"] = .array(batch.alerts.map { alert in
            var a = JSONObject()
            a["title"] = .string(alert.title)
            a["body"] = .string(alert.body)
            a["timestamp"] = .string(alert.timestamp.iso8601)
            if let host = alert.host { a["host"] = .string(host) }
            if !alert.fields.isEmpty { a["fields"] = .object(JSONObject(alert.fields.map { ($0.name, .string($0.value)) })) }
            if let link = alert.link { a["link"] = .string(link) }
            if let tb = alert.traceback { a["traceback"] = .string(tb.text) }
            return .object(a)
        })
        return .object(o)
    }
}
