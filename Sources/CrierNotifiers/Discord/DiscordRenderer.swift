public import CrierCore

/// Discord *Execute Webhook* body: one rich embed per batch (title, description, colour by
/// severity, inline fields, footer, timestamp), `@here` for critical alerts through
/// `allowed_mentions`, and every documented limit enforced before sending
/// (WEBHOOK_APIS.md §1.3: a 400 is a lost message).
public struct DiscordRenderer: BatchRenderer {
    public enum Limit {
        public static let content = 2000
        public static let title = 256
        public static let description = 4096
        public static let fields = 25
        public static let fieldName = 256
        public static let fieldValue = 1024
        public static let footer = 2048
        /// Title + description + fields + footer of all embeds. Kept under the documented 6000
        /// because Discord does not say whether it counts code points or UTF-16 units.
        public static let embedTotal = 5900
        public static let username = 80
    }

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
        func fit(_ text: String, _ limit: Int, _ what: String) -> String { cuts.fit(text, limit, what) }
        let lead = batch.lead

        // Title: one line, plain (Discord renders embed titles without Markdown links).
        let title = fit(oneLine(BatchSummary.headline(batch)), Limit.title, "embeds[0].title")

        // Fields: the rule's fields, then host and count (Discord refuses empty values).
        let fields = displayFields(batch, limit: Limit.fields, notes: &cuts.notes, what: "embeds[0].fields")
        var fieldObjects: [(name: String, value: String)] = fields.enumerated().map { i, f in
            (fit(DiscordRenderer.escape(oneLine(f.0)), Limit.fieldName, "embeds[0].fields[\(i)].name"),
             fit(DiscordRenderer.escape(f.1), Limit.fieldValue, "embeds[0].fields[\(i)].value"))
        }

        var footer = "crier · \(batch.rule) · \(batch.reason.rawValue)"
        let isSummary = batch.rule == StormControl.summaryRule
        if batch.suppressed > 0 && !isSummary { footer += " · \(HumanFormat.count(batch.suppressed)) not shown" }
        footer = fit(footer, Limit.footer, "embeds[0].footer.text")

        // Description gets what is left of the 6000 total, up to its own 4096.
        let fieldsLength = fieldObjects.reduce(0) { $0 + TextLimit.length($1.name) + TextLimit.length($1.value) }
        var room = min(Limit.description, Limit.embedTotal - TextLimit.length(title) - TextLimit.length(footer) - fieldsLength)
        if room < 200 {
            // Fields crowd out the description: drop them from the end until it has room.
            while room < 200, let last = fieldObjects.popLast() {
                room += TextLimit.length(last.name) + TextLimit.length(last.value)
                cuts.notes.append("embeds[0].fields: '\(last.name)' dropped to stay under 6000")
            }
            room = min(room, Limit.description)
        }
        let description = self.description(batch, room: max(0, room), notes: &cuts.notes)

        var embed = JSONObject()
        embed["title"] = .string(title)
        if !description.isEmpty { embed["description"] = .string(description) }
        if let link = lead?.link, link.hasPrefix("https://") || link.hasPrefix("http://"), link.utf8.count <= 2048 {
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
        // Always explicit: log text may contain @everyone; only our own @here may ping.
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
        func add(_ text: String, max limit: Int, _ what: String) {
            let budget = min(limit, room - used - 2)
            guard budget > 20, !text.isEmpty else { return }
            let (out, cut) = TextLimit.truncate(text, to: budget)
            if cut { notes.append("embeds[0].description: \(what) cut") }
            parts.append(out)
            used += TextLimit.length(out) + 2
        }
        // A storm summary's body is its list of groups: it gets the whole description.
        let bodyLimit = batch.rule == StormControl.summaryRule ? Limit.description : 1500
        if let body = batch.lead?.body { add(DiscordRenderer.escape(body), max: bodyLimit, "body") }
        if let countLine = BatchSummary.countLine(batch) { add("**\(countLine)**", max: 300, "count") }
        let others = BatchSummary.otherExamples(batch).map { "• " + DiscordRenderer.escape(oneLine($0)) }
        if !others.isEmpty { add(others.joined(separator: "\n"), max: 600, "examples") }
        if let tb = batch.lead?.traceback {
            let fence = 12  // ```py\n … \n```
            let budget = room - used - fence - 2
            if budget > 80 {
                let safe = tb.text.replacingOccurrences(of: "```", with: "`\u{200B}``")
                let (text, cut) = TextLimit.traceback(safe, to: budget)
                if cut { notes.append("embeds[0].description: traceback shortened (first and last lines kept)") }
                parts.append("```py\n\(text)\n```")
            } else {
                notes.append("embeds[0].description: no room for the traceback")
            }
        }
        return parts.joined(separator: "\n\n")
    }

    /// Escapes Discord Markdown in text we did not write, so log lines render literally.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var atLineStart = true
        for ch in text {
            switch ch {
            case "\\", "*", "_", "~", "`", "|", "[", "]":
                out.append("\\")
                out.append(ch)
            case ">", "#", "-":
                // Quote, heading and list markers only mean something at the start of a line.
                if atLineStart { out.append("\\") }
                out.append(ch)
            default:
                out.append(ch)
            }
            atLineStart = ch == "\n"
        }
        // Mentions in embeds never ping, but they still render as mentions: break them.
        return out.replacingOccurrences(of: "@everyone", with: "@\u{200B}everyone")
            .replacingOccurrences(of: "@here", with: "@\u{200B}here")
    }
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
