public import CrierCore

/// Slack incoming-webhook body in Block Kit: header, section with the body and count,
/// section fields, the traceback as a code block, a context line, and a button when the
/// rule has a `link`. Every Block Kit limit of WEBHOOK_APIS.md §2.3 is applied, and text we
/// did not write is escaped for mrkdwn (`&`, `<`, `>`), which also defuses injected mentions.
public struct SlackRenderer: BatchRenderer {
    public enum Limit {
        public static let header = 150
        public static let sectionText = 3000
        public static let fields = 10
        public static let fieldText = 2000
        public static let contextElements = 10
        public static let buttonText = 75
        public static let buttonURL = 3000
        public static let blocks = 50
        /// Top-level fallback text; Slack truncates at 40,000 but advises staying under 4,000.
        public static let text = 4000
    }

    public let name: String
    public var kind: NotifierConfig.Kind { .slack }
    let channel: String?
    let username: String?
    let iconEmoji: String?
    let iconURL: String?
    let mentionOnCritical: Bool

    public init(config: SlackConfig) {
        name = config.common.name
        channel = config.channel
        username = config.username
        iconEmoji = config.iconEmoji
        iconURL = config.iconURL
        mentionOnCritical = config.mentionOnCritical
    }

    public func render(_ batch: AlertBatch) -> RenderedPayload {
        var cuts = Truncations()
        func fit(_ text: String, _ limit: Int, _ what: String) -> String { cuts.fit(text, limit, what) }
        let lead = batch.lead
        let headline = oneLine(BatchSummary.headline(batch))
        let mention = mentionOnCritical && batch.severity == .critical && batch.reason != .resolved
        var blocks: [JSONValue] = []

        // Header: plain_text, so no escaping; Slack shows it literally.
        let header = fit("\(SeverityStyle.emoji(batch)) \(headline)", Limit.header, "blocks[0].text")
        blocks.append(["type": "header", "text": ["type": "plain_text", "text": .string(header), "emoji": true]])

        // Body and count.
        var sectionParts: [String] = []
        if mention { sectionParts.append("<!here>") }
        if let body = lead?.body, !body.isEmpty { sectionParts.append(SlackRenderer.escape(body)) }
        if let countLine = BatchSummary.countLine(batch) { sectionParts.append("*\(SlackRenderer.escape(countLine))*") }
        let others = BatchSummary.otherExamples(batch).map { "• " + SlackRenderer.escape(oneLine($0)) }
        if !others.isEmpty { sectionParts.append(others.joined(separator: "\n")) }
        if !sectionParts.isEmpty {
            let text = fit(sectionParts.joined(separator: "\n"), Limit.sectionText, "section text")
            blocks.append(["type": "section", "text": ["type": "mrkdwn", "text": .string(text)]])
        }

        // Fields, two columns; at most 10.
        let fields = displayFields(batch, limit: Limit.fields, notes: &cuts.notes, what: "section fields")
        if !fields.isEmpty {
            let items: [JSONValue] = fields.enumerated().map { i, f in
                let text = "*\(SlackRenderer.escape(oneLine(f.0)))*\n\(SlackRenderer.escape(f.1))"
                return ["type": "mrkdwn", "text": .string(fit(text, Limit.fieldText, "fields[\(i)]"))]
            }
            blocks.append(["type": "section", "fields": .array(items)])
        }

        // Traceback: a code block keeps its layout; first and last lines survive a cut.
        if let tb = lead?.traceback {
            let fence = 8
            let escaped = SlackRenderer.escape(tb.text).replacingOccurrences(of: "```", with: "`\u{200B}``")
            let (text, cut) = TextLimit.traceback(escaped, to: Limit.sectionText - fence)
            if cut { cuts.notes.append("traceback shortened (first and last lines kept)") }
            blocks.append(["type": "section", "text": ["type": "mrkdwn", "text": .string("```\(text)```")]])
        }

        // Context: rule, reason, host, and the first-seen time in the reader's own zone.
        var context = ["*\(batch.severity.rawValue)*", "`\(batch.rule)`", batch.reason.rawValue]
        if batch.suppressed > 0 && batch.rule != StormControl.summaryRule {
            context.append("\(HumanFormat.count(batch.suppressed)) not shown")
        }
        let epoch = batch.firstSeen.seconds
        context.append("first seen <!date^\(epoch)^{date_short_pretty} {time}|\(batch.firstSeen.shortUTC) UTC>")
        blocks.append(["type": "context",
                       "elements": [["type": "mrkdwn", "text": .string(fit(context.joined(separator: " · "), Limit.fieldText, "context"))]]])

        if let link = lead?.link, link.hasPrefix("https://") || link.hasPrefix("http://"), link.utf8.count <= Limit.buttonURL {
            var button: JSONObject = ["type": "button", "text": ["type": "plain_text", "text": "Open"], "url": .string(link)]
            if batch.severity >= .error { button["style"] = "danger" }
            blocks.append(["type": "actions", "elements": [.object(button)]])
        }

        var body = JSONObject()
        if let channel { body["channel"] = .string(channel) }
        if let username { body["username"] = .string(username) }
        if let iconEmoji { body["icon_emoji"] = .string(iconEmoji) }
        if let iconURL { body["icon_url"] = .string(iconURL) }
        // The notification text: shown in pop-ups and where blocks are not rendered.
        var fallback = "[\(SeverityStyle.tag(batch))] \(SlackRenderer.escape(headline))"
        if let countLine = BatchSummary.countLine(batch) { fallback += " — \(SlackRenderer.escape(countLine))" }
        if mention { fallback = "<!here> " + fallback }
        body["text"] = .string(fit(fallback, Limit.text, "text"))
        body["blocks"] = .array(Array(blocks.prefix(Limit.blocks)))
        body["unfurl_links"] = false
        body["unfurl_media"] = false
        return RenderedPayload(body: .object(body), truncations: cuts.notes)
    }

    /// mrkdwn escaping: exactly `&`, `<` and `>` (Slack's rule), nothing else.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(ch)
            }
        }
        return out
    }
}
