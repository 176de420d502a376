public import CrierCore

/// Discord *Execute Webhook* body: one rich embed per batch (title, description, colour by
/// severity, inline fields, footer, timestamp), `@here` for critical alerts through
/// `allowed_mentions`, and every documented limit enforced before sending
/// (WEBHOOK_APIS.md §1.3: a 400 is a lost message).
///
/// Log text is escaped per field (`DiscordMarkdown` where Discord reads Markdown, nothing but
/// visible controls in the footer, which it does not), then cut, counting code points as
/// Discord does. Mentions never ping: log text lives only in the embed, which never pings,
/// and `allowed_mentions` is always sent.
public struct DiscordRenderer: BatchRenderer {
    public enum Limit {
        public static let content = 2000
        public static let title = 256
        public static let description = 4096
        public static let fields = 25
        public static let fieldName = 256
        public static let fieldValue = 1024
        public static let footer = 2048
        /// Title + description + fields + footer of all embeds, in code points.
        public static let embedTotal = 6000
        public static let username = 80
    }

    /// Discord counts code points (discord-api-docs#1315).
    public static let measure = TextLimit.Measure.codePoints

    public let name: String
    public var kind: NotifierConfig.Kind { .discord }
    let username: String?
    let avatarURL: String?
    let mentionOnCritical: Bool

    public init(config: DiscordConfig) {
        name = config.common.name
        username = config.username
        avatarURL = config.avatarURL
        mentionOnCritical = config.mentionOnCritical
    }

    public func render(_ batch: AlertBatch) -> RenderedPayload {
        var cuts = Truncations()
        func fit(_ text: String, _ limit: Int, _ what: String, _ escaper: TextEscaper = DiscordMarkdown.escaper) -> String {
            cuts.fit(text, limit, what, measure: DiscordRenderer.measure, escaper: escaper)
        }
        func length(_ s: String) -> Int { DiscordRenderer.measure.count(s) }
        let lead = batch.lead

        // Title: one line. Titles render inline Markdown (not links), so it is escaped too.
        let title = fit(oneLine(BatchSummary.headline(batch)), Limit.title, "embeds[0].title")

        // Fields: the rule's fields, then host and count; blank ones are left out.
        let fields = displayFields(batch, limit: Limit.fields, notes: &cuts.notes, what: "embeds[0].fields")
        var fieldObjects: [(name: String, value: String)] = fields.enumerated().map { i, f in
            (fit(oneLine(f.0), Limit.fieldName, "embeds[0].fields[\(i)].name"),
             fit(f.1, Limit.fieldValue, "embeds[0].fields[\(i)].value"))
        }

        // The footer has no Markdown: a backslash there would show, so it is not escaped.
        var footer = "crier · \(batch.rule) · \(batch.reason.rawValue)"
        let isSummary = batch.rule == StormControl.summaryRule
        if batch.suppressed > 0 && !isSummary { footer += " · \(HumanFormat.count(batch.suppressed)) not shown" }
        footer = fit(footer, Limit.footer, "embeds[0].footer.text", .plain)

        // Description gets what is left of the 6000 total, up to its own 4096.
        let fieldsLength = fieldObjects.reduce(0) { $0 + length($1.name) + length($1.value) }
        var room = min(Limit.description, Limit.embedTotal - length(title) - length(footer) - fieldsLength)
        if room < 200 {
            // Fields crowd out the description: drop them from the end until it has room.
            while room < 200, let last = fieldObjects.popLast() {
                room += length(last.name) + length(last.value)
                cuts.notes.append("embeds[0].fields: '\(last.name)' dropped to stay under 6000")
            }
            room = min(room, Limit.description)
        }
        let description = self.description(batch, room: max(0, room), notes: &cuts.notes)

        var embed = JSONObject()
        embed["title"] = .string(title)
        if !description.isEmpty { embed["description"] = .string(description) }
        if let link = lead?.link, WebLink.isSafe(link), link.utf8.count <= 2048 {
            embed["url"] = .string(link)
        }
        embed["color"] = .int(SeverityStyle.color(batch))
        if !fieldObjects.isEmpty {
            embed["fields"] = .array(fieldObjects.map { ["name": .string($0.name), "value": .string($0.value), "inline": true] })
        }
        embed["footer"] = ["text": .string(footer)]
        embed["timestamp"] = .string(batch.lastSeen.iso8601)

        var body = JSONObject()
        if let username { body["username"] = .string(String(username.prefix(Limit.username))) }
        if let avatarURL { body["avatar_url"] = .string(avatarURL) }
        let mention = mentionOnCritical && batch.severity == .critical && batch.reason != .resolved
        if mention { body["content"] = "@here" }
        // Always explicit: only our own @here, alone in `content`, may ever ping.
        body["allowed_mentions"] = ["parse": mention ? ["everyone"] : []]
        body["embeds"] = [.object(embed)]
        return RenderedPayload(body: .object(body), truncations: cuts.notes)
    }

    /// Body, count line, other examples, then the traceback in a code block with whatever
    /// room is left (first and last lines kept).
    func description(_ batch: AlertBatch, room: Int, notes: inout [String]) -> String {
        guard room > 0 else { return "" }
        var parts: [String] = []
        var used = 0
        func add(_ text: String, max limit: Int, _ what: String, wrap: String = "") {
            let budget = min(limit, room - used - 2) - 2 * wrap.count
            guard budget > 20, !text.isEmpty else { return }
            let (out, cut) = TextLimit.fit(text, to: budget, measure: DiscordRenderer.measure, escaper: DiscordMarkdown.escaper)
            if cut { notes.append("embeds[0].description: \(what) cut") }
            parts.append(wrap + out + wrap)
            used += DiscordRenderer.measure.count(out) + 2 * wrap.count + 2
        }
        // A storm summary's body is its list of groups: it gets the whole description.
        let bodyLimit = batch.rule == StormControl.summaryRule ? Limit.description : 1500
        if let body = batch.lead?.body { add(body, max: bodyLimit, "body") }
        if let countLine = BatchSummary.countLine(batch) { add(countLine, max: 300, "count", wrap: "**") }
        let others = BatchSummary.otherExamples(batch).map { "• " + oneLine($0) }
        if !others.isEmpty { add(others.joined(separator: "\n"), max: 600, "examples") }
        if let tb = batch.lead?.traceback {
            let fence = 12  // ```py\n … \n```
            let budget = room - used - fence - 2
            if budget > 80 {
                let (text, cut) = TextLimit.traceback(tb.text, to: budget, measure: DiscordRenderer.measure, escaper: .codeBlock)
                if cut { notes.append("embeds[0].description: traceback shortened (first and last lines kept)") }
                parts.append("```py\n\(text)\n```")
            } else {
                notes.append("embeds[0].description: no room for the traceback")
            }
        }
        return parts.joined(separator: "\n\n")
    }

    /// Log text in Discord Markdown, shown literally wherever Discord renders it.
    public static func escape(_ text: String) -> String { DiscordMarkdown.escaper.escape(text) }
}

extension String {
    /// Plain substring replacement without Foundation.
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
