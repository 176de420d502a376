public import CrierCore
import Foundation

/// E-mail through SMTP (libcurl): STARTTLS on smtp:// unless turned off, implicit TLS on
/// smtps://, credentials from config or a secret file, a text and an HTML part.
public struct EmailNotifier: Notifier {
    public let settings: EmailConfig
    /// The random part of each Message-ID (which must be unique world-wide); a test fixes it
    /// to compare whole messages.
    private let uniqueToken: @Sendable () -> UInt32
    public var config: NotifierConfig { .email(settings) }
    public var name: String { settings.common.name }
    public var kind: NotifierConfig.Kind { .email }

    public init(config: EmailConfig, uniqueToken: @escaping @Sendable () -> UInt32 = { UInt32.random(in: 0...UInt32.max) }) {
        settings = config
        self.uniqueToken = uniqueToken
    }

    /// Per recipient: `per_recipient` (default 10 a minute, 60 an hour); every message goes
    /// to every recipient, so the limits apply to the notifier as a whole.
    public var defaultLimits: [SendRateLimiter.Window] {
        [.init(count: settings.perMinute, length: .seconds(60)), .init(count: settings.perHour, length: .seconds(3600))]
    }

    /// Subject: one line, controls visible, at most 200 characters (a header line that log
    /// text can never break, so it cannot add headers). Text part: the console text. HTML
    /// part: log text only in text nodes, HTML-escaped; a link only when it is http(s).
    public func render(_ batch: AlertBatch) -> RenderedPayload {
        let subject = TextLimit.fit(oneLine("[\(SeverityStyle.tag(batch))] \(BatchSummary.headline(batch))"), to: 200,
                                    measure: .codePoints, marker: "…").text
        let text = ConsoleRenderer.text(batch)
        var html = "<html><body><h2>\(EmailNotifier.escape(oneLine(BatchSummary.headline(batch))))</h2>"
        if let lead = batch.lead {
            html += "<p>\(EmailNotifier.escape(lead.body).replacingOccurrences(of: "\n", with: "<br>"))</p>"
            if let line = BatchSummary.countLine(batch) { html += "<p><b>\(EmailNotifier.escape(line))</b></p>" }
            let fields = lead.fields.filter { !isBlank($0.value) }
            if !fields.isEmpty {
                html += "<table>" + fields.map { "<tr><th align=left>\(EmailNotifier.escape($0.name))</th><td>\(EmailNotifier.escape($0.value))</td></tr>" }.joined() + "</table>"
            }
            if let tb = lead.traceback { html += "<pre>\(EmailNotifier.escape(tb.text))</pre>" }
            if let link = lead.link, WebLink.isSafe(link) { html += "<p><a href=\"\(EmailNotifier.escape(link))\">Open</a></p>" }
        }
        html += "<p style=\"color:#888\">crier · \(EmailNotifier.escape(batch.rule)) · \(batch.reason.rawValue)</p></body></html>"
        return RenderedPayload(body: ["subject": .string(subject), "text": .string(text), "html": .string(html)])
    }

    public func request(payload: String, editing messageID: String?, now: Timestamp) -> DeliveryRequest {
        let object = JSONText.object(payload) ?? [:]
        let subject = (object["subject"] as? String) ?? "crier alert"
        let text = (object["text"] as? String) ?? ""
        let html = (object["html"] as? String) ?? ""
        let boundary = "crier-\(now.microseconds)"
        let from = settings.from.isEmpty ? "crier@localhost" : settings.from
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        var lines = [
            "From: \(from)",
            "To: \(settings.to.joined(separator: ", "))",
            "Subject: \(EmailNotifier.encodedHeader(subject))",
            "Date: \(EmailNotifier.rfc5322Date(now))",
            "Message-ID: <crier.\(now.microseconds).\(uniqueToken())@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
        ]
        // Base64 parts: a traceback line longer than SMTP's 998 octets, or a relay without
        // 8BITMIME, cannot break or bounce the message; no dot-stuffing is needed either.
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines += ["--\(boundary)", "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""]
            lines.append(Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]))
        }
        lines += ["--\(boundary)--", ""]
        let message = Array(lines.joined(separator: "\r\n").utf8)
        var mail = MailRequest(server: settings.smtpURL, username: settings.username, password: settings.password,
                               startTLS: settings.startTLS, from: from, recipients: settings.to, message: message)
        mail.timeout = max(settings.connection.timeout, .seconds(30))
        return .mail(mail)
    }

    /// Log text for an HTML text node or quoted attribute: controls visible, then `&<>"'`.
    static func escape(_ s: String) -> String { TextEscaper.html.escape(s) }

    /// RFC 2047 encoded words for a non-ASCII subject: each word at most 75 characters
    /// (45 bytes of text, never splitting a character), folded onto continuation lines.
    static func encodedHeader(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return s }
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in s {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Base64.encode(chunk))?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Base64.encode(chunk))?=") }
        return words.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ t: Timestamp) -> String {
        let c = t.civil
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = days[CivilDate.weekday(daysSinceEpoch: Int(t.seconds.floorDivided(by: 86_400)))]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekday), \(c.day) \(months[c.month - 1]) \(c.year) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}
