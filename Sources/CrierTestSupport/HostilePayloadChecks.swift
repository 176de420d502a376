public import CrierCore
import Foundation

/// The properties of whole payloads rendered from hostile batches (see `HostileText`), per
/// destination: log text never becomes markup, a link, a mention or a ping; the
/// destination's limits hold; the body is valid JSON. Each returns the problems found.
public enum HostilePayloadChecks {
    /// A Discord Execute-Webhook body with one embed (DiscordRenderer).
    public static func discord(_ body: JSONValue) -> [String] {
        var problems = json(body.encoded, "discord")
        let content = body["content"]?.stringValue
        let parse = body["allowed_mentions"]?["parse"]
        if content == "@here" {
            if parse != .array([.string("everyone")]) { problems.append("discord: @here without allowed_mentions everyone") }
        } else {
            if content != nil { problems.append("discord: content holds more than crier's @here") }
            if parse != .array([]) { problems.append("discord: allowed_mentions.parse is not []") }
        }
        guard case .array(let embeds)? = body["embeds"], embeds.count == 1 else { return problems + ["discord: not one embed"] }
        let e = embeds[0]
        var total = 0
        func text(_ v: JSONValue?, _ limit: Int, _ what: String) -> String {
            let s = v?.stringValue ?? ""
            problems += HostileTextChecks.within(s, limit, codePoints: true, what)
            total += s.unicodeScalars.count
            return s
        }
        problems += HostileTextChecks.discordProse(text(e["title"], 256, "title"), "title")
        problems += discordDescription(text(e["description"], 4096, "description"))
        if case .array(let fields)? = e["fields"] {
            if fields.count > 25 { problems.append("discord: \(fields.count) fields") }
            for (i, f) in fields.enumerated() {
                let name = text(f["name"], 256, "fields[\(i)].name"), value = text(f["value"], 1024, "fields[\(i)].value")
                if name.allSatisfy(\.isWhitespace) || value.allSatisfy(\.isWhitespace) { problems.append("fields[\(i)]: blank") }
                problems += HostileTextChecks.discordProse(name, "fields[\(i)].name")
                problems += HostileTextChecks.discordProse(value, "fields[\(i)].value")
            }
        }
        // No Markdown in a footer: an escape would show as a backslash.
        let footer = text(e["footer"]?["text"], 2048, "footer")
        if footer.contains("\\") { problems.append("footer: backslash") }
        problems += HostileTextChecks.terminal(footer, "footer")
        if total > 6000 { problems.append("discord: embed total \(total) over 6000") }
        if let url = e["url"]?.stringValue, !(url.hasPrefix("https://") || url.hasPrefix("http://")) || url.contains(" ") {
            problems.append("discord: embed url \(url.prefix(40))")
        }
        return problems
    }

    /// A description: parts of escaped prose (crier's count line in `**…**`), then possibly
    /// one code block for the traceback, which must end the description.
    static func discordDescription(_ d: String) -> [String] {
        var prose = Substring(d)
        var problems: [String] = []
        if let fence = d.range(of: "```py\n") {
            prose = d[..<fence.lowerBound]
            problems += HostileTextChecks.discordCodeBlock(String(d[fence.lowerBound...]), "description code block")
        }
        for raw in prose.components(separatedBy: "\n\n") {
            let part = raw.trimmingCharacters(in: .newlines)
            let inner = part.hasPrefix("**") && part.hasSuffix("**") && part.count >= 4 ? String(part.dropFirst(2).dropLast(2)) : part
            problems += HostileTextChecks.discordProse(inner, "description")
        }
        return problems
    }

    /// The plain-text resend after a 400 (DiscordNotifier.plainFallback).
    public static func discordFallback(_ json: String) -> [String] {
        guard let o = parseJSON(json) as? [String: Any] else { return ["discord fallback: not JSON"] }
        let content = o["content"] as? String ?? ""
        var problems = HostileTextChecks.within(content, 2000, codePoints: true, "fallback content")
        problems += HostileTextChecks.discordProse(content, "fallback content")
        if (o["allowed_mentions"] as? [String: Any])?["parse"] as? [Any] == nil
            || !(((o["allowed_mentions"] as? [String: Any])?["parse"] as? [Any]) ?? [1]).isEmpty {
            problems.append("fallback: allowed_mentions.parse is not []")
        }
        if o["flags"] as? Int != 4 { problems.append("fallback: no SUPPRESS_EMBEDS") }
        return problems
    }

    /// A Slack Block Kit body (SlackRenderer).
    public static func slack(_ body: JSONValue) -> [String] {
        var problems = json(body.encoded, "slack")
        if body["unfurl_links"] != .bool(false) || body["unfurl_media"] != .bool(false) { problems.append("slack: unfurls") }
        let text = body["text"]?.stringValue ?? ""
        problems += HostileTextChecks.within(text, 4000, codePoints: false, "text")
        problems += HostileTextChecks.slackMrkdwn(text.hasPrefix("<!here> ") ? String(text.dropFirst(8)) : text, "text")
        guard case .array(let blocks)? = body["blocks"], blocks.count <= 50 else { return problems + ["slack: blocks"] }
        for (i, block) in blocks.enumerated() {
            let what = "blocks[\(i)]"
            switch block["type"]?.stringValue {
            case "header":
                problems += plain(block["text"], 150, what)
            case "section":
                if let t = block["text"] {
                    if t["type"]?.stringValue == "plain_text" {
                        problems += plain(t, 3000, what)
                    } else {
                        problems += mrkdwn(t, what)
                    }
                }
                if case .array(let fields)? = block["fields"] {
                    if fields.count > 10 { problems.append("\(what): \(fields.count) fields") }
                    for f in fields { problems += plain(f, 2000, "\(what).fields") }
                }
            case "context", "actions": break  // crier's own: rule, reason, time; a checked https link
            default: problems.append("\(what): unexpected block")
            }
        }
        return problems
    }

    static func plain(_ object: JSONValue?, _ limit: Int, _ what: String) -> [String] {
        guard object?["type"] == .string("plain_text"), object?["emoji"] == .bool(false) else { return ["\(what): not plain_text without emoji"] }
        let t = object?["text"]?.stringValue ?? ""
        return HostileTextChecks.within(t, limit, codePoints: false, what) + HostileTextChecks.slackPlain(t, what)
            + (t.allSatisfy(\.isWhitespace) ? ["\(what): blank"] : [])
    }

    /// crier's own mrkdwn sections: `<!here>` and a bold count, or a traceback code block.
    static func mrkdwn(_ object: JSONValue, _ what: String) -> [String] {
        guard object["verbatim"] == .bool(true) else { return ["\(what): mrkdwn not verbatim"] }
        let t = object["text"]?.stringValue ?? ""
        var problems = HostileTextChecks.within(t, 3000, codePoints: false, what)
        if t.hasPrefix("```") { return problems + HostileTextChecks.slackCodeBlock(t, what) }
        let rest = t.hasPrefix("<!here>") ? String(t.dropFirst(7)) : t
        if rest.contains("<") || rest.contains(">") || rest.contains("@") { problems.append("\(what): more than crier's own words: \(t.prefix(60))") }
        return problems + HostileTextChecks.terminal(t, what)
    }

    /// The Slack resend after a 400 (SlackNotifier.plainFallback).
    public static func slackFallback(_ json: String) -> [String] {
        guard let o = parseJSON(json) as? [String: Any] else { return ["slack fallback: not JSON"] }
        let text = o["text"] as? String ?? ""
        return HostileTextChecks.within(text, 4000, codePoints: false, "fallback text") + HostileTextChecks.slackMrkdwn(text, "fallback text")
            + (o["unfurl_links"] as? Bool == false && o["unfurl_media"] as? Bool == false ? [] : ["fallback: unfurls"])
    }

    /// The e-mail payload (`subject`, `text`, `html`) before MIME encoding.
    public static func email(_ body: JSONValue) -> [String] {
        let subject = body["subject"]?.stringValue ?? ""
        var problems = json(body.encoded, "email") + HostileTextChecks.terminal(subject, "subject")
        if subject.contains("\n") || subject.contains("\r") { problems.append("subject: line break") }
        problems += HostileTextChecks.within(subject, 200, codePoints: true, "subject")
        problems += HostileTextChecks.terminal(body["text"]?.stringValue ?? "", "text part")
        var html = body["html"]?.stringValue ?? ""
        // Take out crier's own markup; what is left came from log text.
        for tag in ["<html><body>", "</body></html>", "<h2>", "</h2>", "<p>", "</p>", "<br>", "<b>", "</b>", "<table>", "</table>",
                    "<tr>", "</tr>", "<th align=left>", "</th>", "<td>", "</td>", "<pre>", "</pre>", "<p style=\"color:#888\">", "\">Open</a>"] {
            html = html.replacingOccurrences(of: tag, with: " ")
        }
        if let r = html.range(of: "<a href=\"") {
            let link = html[r.upperBound...].prefix { $0 != " " }
            if !(link.hasPrefix("https://") || link.hasPrefix("http://")) { problems.append("html: link \(link.prefix(30))") }
            html.removeSubrange(r.lowerBound..<html.index(r.upperBound, offsetBy: link.count))
        }
        return problems + HostileTextChecks.htmlText(html, "html")
    }

    /// A JSON body (webhook, Alertmanager): parses, and no raw control reaches a terminal
    /// that shows it.
    public static func json(_ text: String, _ what: String) -> [String] {
        (parseJSON(text) == nil ? ["\(what): not valid JSON"] : []) + HostileTextChecks.terminal(text, "\(what) JSON")
    }
}
