public import CrierCore

/// Slack incoming-webhook body in Block Kit: header, the mention and count, the body and
/// other examples, fields, the traceback as a code block, a context line, and a button when
/// the rule has a `link`. Every Block Kit limit of WEBHOOK_APIS.md §2.3 is applied.
///
/// Log text goes into `plain_text` objects (no formatting, no tokens, no emoji codes) wherever
/// it stands alone; where it must be mrkdwn (the notification text, the traceback's code
/// block) it is escaped with `SlackText`. Every mrkdwn object is `verbatim`, so Slack does not
/// turn bare names, URLs or `@here` into links or mentions; links never unfurl.
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

    /// Slack says "characters" without a unit: UTF-16 is never fewer than code points.
    public static let measure = TextLimit.Measure.utf16

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
        func fit(_ text: String, _ limit: Int, _ what: String, _ escaper: TextEscaper) -> String {
            cuts.fit(text, limit, what, measure: SlackRenderer.measure, escaper: escaper)
        }
        let lead = batch.lead
        let headline = oneLine(BatchSummary.headline(batch))
        let mention = mentionOnCritical && batch.severity == .critical && batch.reason != .resolved
        var blocks: [JSONValue] = []

        // Header: plain_text without emoji codes, so `:x:` in a log stays text; crier's own
        // symbol is the emoji character itself.
        let symbol = SeverityStyle.symbol(batch) + " "
        let header = symbol + fit(headline, Limit.header - SlackRenderer.measure.count(symbol), "blocks[0].text", SlackText.plain)
        blocks.append(SlackRenderer.plain("header", header))

        // Body and other examples: log text, plain.
        var logParts: [String] = []
        if let body = lead?.body, !isBlank(body) { logParts.append(body) }
        let others = BatchSummary.otherExamples(batch).map { "• " + oneLine($0) }
        if !others.isEmpty { logParts.append(others.joined(separator: "\n")) }
        if !logParts.isEmpty {
            let text = fit(logParts.joined(separator: "\n"), Limit.sectionText, "section text", SlackText.plain)
            blocks.append(["type": "section", "text": SlackRenderer.plainText(text)])
        }

        // crier's own words: the mention and the count, in mrkdwn.
        var ours: [String] = []
        if mention { ours.append("<!here>") }
        if let countLine = BatchSummary.countLine(batch) { ours.append("*\(SlackText.entities(countLine))*") }
        if !ours.isEmpty { blocks.append(["type": "section", "text": SlackRenderer.mrkdwn(ours.joined(separator: " "))]) }

        // Fields, two columns, at most 10: name and value as plain text.
        let fields = displayFields(batch, limit: Limit.fields, notes: &cuts.notes, what: "section fields")
        if !fields.isEmpty {
            let items: [JSONValue] = fields.enumerated().map { i, f in
                SlackRenderer.plainText(fit("\(oneLine(f.0))\n\(f.1)", Limit.fieldText, "fields[\(i)]", SlackText.plain))
            }
            blocks.append(["type": "section", "fields": .array(items)])
        }

        // Traceback: a code block keeps its layout; first and last lines survive a cut.
        if let tb = lead?.traceback {
            let fence = 8  // ```\n … \n```
            let (text, cut) = TextLimit.traceback(tb.text, to: Limit.sectionText - fence, measure: SlackRenderer.measure,
                                                  escaper: SlackText.code)
            if cut { cuts.notes.append("traceback shortened (first and last lines kept)") }
            blocks.append(["type": "section", "text": SlackRenderer.mrkdwn("```\n\(text)\n```")])
        }

        // Context: rule, reason, and the first-seen time in the reader's own zone.
        var context = ["*\(batch.severity.rawValue)*", "`\(SlackText.entities(batch.rule))`", batch.reason.rawValue]
        if batch.suppressed > 0 && batch.rule != StormControl.summaryRule {
            context.append("\(HumanFormat.count(batch.suppressed)) not shown")
        }
        let epoch = batch.firstSeen.seconds
        context.append("first seen <!date^\(epoch)^{date_short_pretty} {time}|\(batch.firstSeen.shortUTC) UTC>")
        blocks.append(["type": "context", "elements": [SlackRenderer.mrkdwn(context.joined(separator: " · "))]])

        if let link = lead?.link, WebLink.isSafe(link), link.utf8.count <= Limit.buttonURL {
            var button: JSONObject = ["type": "button", "text": ["type": "plain_text", "text": "Open"], "url": .string(link)]
            if batch.severity >= .error { button["style"] = "danger" }
            blocks.append(["type": "actions", "elements": [.object(button)]])
        }

        var body = JSONObject()
        if let channel { body["channel"] = .string(channel) }
        if let username { body["username"] = .string(username) }
        if let iconEmoji { body["icon_emoji"] = .string(iconEmoji) }
        if let iconURL { body["icon_url"] = .string(iconURL) }
        // The notification text: shown in pop-ups and where blocks are not rendered. Our own
        // mention goes in front, outside what may be cut.
        var summary = "[\(SeverityStyle.tag(batch))] \(headline)"
        if let countLine = BatchSummary.countLine(batch) { summary += " — \(countLine)" }
        let prefix = mention ? "<!here> " : ""
        body["text"] = .string(prefix + fit(summary, Limit.text - prefix.utf16.count, "text", SlackText.mrkdwn))
        body["blocks"] = .array(Array(blocks.prefix(Limit.blocks)))
        body["unfurl_links"] = false
        body["unfurl_media"] = false
        return RenderedPayload(body: .object(body), truncations: cuts.notes)
    }

    /// mrkdwn escaping: exactly `&`, `<` and `>` (Slack's rule), nothing else. Log text
    /// needs more than this (`SlackText.mrkdwn`); this is for text crier wrote.
    public static func escape(_ text: String) -> String { SlackText.entities(text) }

    static func plainText(_ text: String) -> JSONValue { ["type": "plain_text", "text": .string(text), "emoji": false] }

    static func plain(_ type: String, _ text: String) -> JSONValue { ["type": .string(type), "text": plainText(text)] }

    static func mrkdwn(_ text: String) -> JSONValue { ["type": "mrkdwn", "text": .string(text), "verbatim": true] }
}
