import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierNotifiers

/// One test per defect found by the hostile review of what crier posts: each failed before
/// its fix. The families they stand for are covered by `HostilePropertyTests`.
@Suite struct HostileTextRegressionTests {
    static let phishing = "Invalid user [verify your account](http://evil.example/login) from 203.0.113.7"

    func discordEmbed(_ payload: RenderedPayload) -> JSONValue? {
        guard case .array(let embeds)? = payload.body["embeds"] else { return nil }
        return embeds.first
    }

    /// A fallback body as read by an independent parser.
    func decode(_ json: String?) -> [String: Any]? {
        guard let json else { return nil }
        return parseJSON(json) as? [String: Any]
    }

    // MARK: 1. Markup and mentions from log text

    /// sshd logs `Invalid user    from IP`: a field holding only spaces made Discord refuse
    /// the whole embed with a 400.
    @Test func discordDropsFieldsThatAreEmptyAfterTrimming() throws {
        let batch = Fixtures.batch([Fixtures.alert(fields: [AlertField("User", "    "), AlertField("Gap", "\u{3000}\t"),
                                                            AlertField("Address", "203.0.113.7")])])
        let embed = try #require(discordEmbed(DiscordRenderer(config: Fixtures.discord).render(batch)))
        guard case .array(let fields)? = embed["fields"] else { Issue.record("no fields"); return }
        for field in fields {
            let value = field["value"]?.stringValue ?? ""
            #expect(!value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "field '\(field["name"]?.stringValue ?? "")' is blank")
        }
        #expect(fields.count == 2, "the address and the host remain")
    }

    /// The plain-text resend after a 400 was built from console text without escaping: the
    /// masked link rendered as a link, `**@everyone**` as bold, and bare URLs unfurled.
    @Test func discordPlainFallbackIsEscapedAndNeverPingsOrUnfurls() throws {
        let batch = Fixtures.batch([Fixtures.alert(title: "**@everyone** reset at https://evil.example/reset",
                                                   body: Self.phishing, severity: .critical)])
        let notifier = DiscordNotifier(config: Fixtures.discord)
        let body = try #require(decode(notifier.plainFallback(batch)))
        let content = try #require(body["content"] as? String)
        #expect(!content.contains("[verify your account](http"), "\(content)")
        #expect(!content.contains("**@everyone**"), "\(content)")
        #expect(!content.contains("@everyone"), "the mention is broken up: \(content)")
        #expect(!content.contains("https://evil"), "a bare URL is a link with a preview: \(content)")
        #expect((body["allowed_mentions"] as? [String: Any])?["parse"] as? [String] == [])
        #expect(body["flags"] as? Int == 4, "SUPPRESS_EMBEDS: no link previews in a content-only message")
    }

    /// Titles, descriptions and field values rendered mentions, timestamps, headers and
    /// subtext from log text (only a few Markdown characters were escaped, titles not at all).
    @Test func discordEmbedTextRendersNoConstructFromLogText() throws {
        let batch = Fixtures.batch([Fixtures.alert(title: "<@123456789012345678> owes <#223456789012345678>",
                                                   body: "-# tiny\n# big\n<t:0:R> <@&323456789012345678> <a:x:1> https://evil.example/x",
                                                   fields: [AlertField("User", "||hidden|| <:e:42>")])])
        let embed = try #require(discordEmbed(DiscordRenderer(config: Fixtures.discord).render(batch)))
        let title = try #require(embed["title"]?.stringValue)
        let description = try #require(embed["description"]?.stringValue)
        let value = try #require(embed["fields"]?[index: 0]?["value"]?.stringValue)
        #expect(!title.contains("<@") && !title.contains("<#"), "\(title)")
        #expect(!description.contains("<t:") && !description.contains("<@&") && !description.contains("<a:"), "\(description)")
        #expect(!description.hasPrefix("-#") && !description.contains("\n# "), "\(description)")
        #expect(!description.contains("https://"), "\(description)")
        #expect(!value.contains("||") && !value.contains("<:"), "\(value)")
    }

    /// Slack: the header rendered `:shortcodes:` from log text as emoji, the body section was
    /// mrkdwn (so `*bold*` from a log was bold and a bare `@here` could be auto-parsed).
    @Test func slackRendersNoMarkupFromLogText() throws {
        let batch = Fixtures.batch([Fixtures.alert(title: "user :skull: *root*", body: "@here *bold* _it_ ~s~ `code`\n> quote",
                                                   fields: [AlertField("User", "*admin*")])])
        let payload = SlackRenderer(config: Fixtures.slack).render(batch)
        guard case .array(let blocks)? = payload.body["blocks"] else { Issue.record("blocks"); return }
        #expect(blocks[0]["text"]?["emoji"] == false, "log text must not turn into emoji")
        for object in SlackPayload.textObjects(payload.body) {
            let text = object["text"]?.stringValue ?? ""
            if object["type"]?.stringValue == "mrkdwn" {
                #expect(object["verbatim"] == true, "\(text)")
                #expect(!text.contains("*bold*") && !text.contains("_it_") && !text.contains("`code`"), "\(text)")
                #expect(!text.contains("@here"), "\(text)")
            }
        }
        let fallback = try #require(payload.body["text"]?.stringValue)
        #expect(!fallback.contains("*root*"), "\(fallback)")
    }

    /// The Slack resend after a 400 escaped only `&<>`: formatting from log text rendered.
    @Test func slackPlainFallbackRendersNoMarkupFromLogText() throws {
        let batch = Fixtures.batch([Fixtures.alert(title: "*admin* logged in", body: "~gone~ <!channel> `x`")])
        let body = try #require(decode(SlackNotifier(config: Fixtures.slack).plainFallback(batch)))
        let text = try #require(body["text"] as? String)
        #expect(!text.contains("*admin*") && !text.contains("~gone~") && !text.contains("`x`") && !text.contains("<!"), "\(text)")
        #expect(body["unfurl_links"] as? Bool == false && body["unfurl_media"] as? Bool == false)
    }

    /// The e-mail subject kept line breaks from log text (a header injection once the request
    /// is built), and a rule link went into `href` whatever its scheme.
    @Test func emailSubjectIsOneLineAndLinksAreWebOnly() throws {
        let batch = Fixtures.batch([Fixtures.alert(title: "disk full\r\nBcc: victim@example.com\u{1B}[2J",
                                                   link: "javascript:alert(document.cookie)")])
        let notifier = MailAndAlertmanagerGoldenTests.mailer()
        let payload = notifier.render(batch).body
        let subject = try #require(payload["subject"]?.stringValue)
        #expect(!subject.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(subject.debugDescription)")
        let html = try #require(payload["html"]?.stringValue)
        #expect(!html.contains("javascript:"), "\(html)")
    }

    // MARK: 3. Truncation

    /// Cutting back to the last `[` without a `)` after it wiped a long title.
    @Test func aLongTitleWithABracketKeepsItsText() throws {
        let title = "[prod] backup of " + String(repeating: "x", count: 400)
        let embed = try #require(discordEmbed(DiscordRenderer(config: Fixtures.discord).render(Fixtures.batch([Fixtures.alert(title: title)]))))
        let cut = try #require(embed["title"]?.stringValue)
        #expect(cut.contains("prod") && cut.contains("backup of xxxx"), "\(cut)")
        #expect(cut.unicodeScalars.count > 200, "\(cut)")
        #expect(cut.unicodeScalars.count <= DiscordRenderer.Limit.title)
    }

    /// A critical Slack headline became `<!here> … [truncated]`.
    @Test func aLongCriticalSlackHeadlineKeepsTheMentionAndTheText() throws {
        let title = "[db-1] " + String(repeating: "disk full ", count: 600)
        let payload = SlackRenderer(config: Fixtures.slack).render(Fixtures.batch([Fixtures.alert(title: title, severity: .critical)]))
        let text = try #require(payload.body["text"]?.stringValue)
        #expect(text.hasPrefix("<!here> "), "\(text.prefix(80))")
        #expect(text.contains("db-1") && text.contains("disk full disk full"), "\(text.prefix(80))")
        #expect(text.utf16.count > 3_000 && text.utf16.count <= SlackRenderer.Limit.text)
    }

    /// Escaping after cutting could leave half an entity (`&am… [truncated]`), and the
    /// bracket rule could cut away everything.
    @Test func aCutNeverSplitsAnEscape() throws {
        let ampersands = String(repeating: "&", count: 1_000)
        let batch = Fixtures.batch([Fixtures.alert(title: "x" + ampersands, fields: [AlertField("Data", "x" + ampersands)])])
        let payload = SlackRenderer(config: Fixtures.slack).render(batch)
        let text = try #require(payload.body["text"]?.stringValue)
        #expect(text.utf16.count > 3_000 && text.contains("&amp;&amp;"), "the text is kept: \(text.prefix(40))")
        let mrkdwn = SlackPayload.textObjects(payload.body).filter { $0["type"]?.stringValue == "mrkdwn" }
            .compactMap { $0["text"]?.stringValue }
        for t in mrkdwn + [text] {
            var rest = Substring(t)
            while let amp = rest.firstIndex(of: "&") {
                let after = rest[amp...]
                #expect(after.hasPrefix("&amp;") || after.hasPrefix("&lt;") || after.hasPrefix("&gt;"), "\(after.prefix(12))")
                rest = rest[rest.index(after: amp)...]
            }
        }
    }

    // MARK: 4. Terminal escapes

    /// ESC, BEL, C1 CSI, CR, backspace and bidi overrides reached the terminal raw.
    @Test func consoleTextShowsControlCharactersVisibly() {
        let body = "\u{1B}]0;pwned\u{07} \u{1B}]8;;https://evil\u{1B}\\ok\u{1B}]8;;\u{1B}\\ \u{9B}2J a\rb c\u{08}d \u{202E}evil \u{7F}"
        let text = ConsoleRenderer.text(Fixtures.batch([Fixtures.alert(title: "t\u{1B}[31m", body: body,
                                                                        fields: [AlertField("User", "\u{2066}x\u{2069}")])]))
        let raw = text.unicodeScalars.filter { s in
            (s.value < 0x20 && s != "\n" && s != "\t") || (0x7F...0x9F).contains(s.value)
                || (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value)
        }
        #expect(raw.isEmpty, "\(raw.map { String($0.value, radix: 16) })")
        #expect(text.contains("\\u{1B}]0;pwned\\u{7}"), "\(text)")
    }
}

extension JSONValue {
    subscript(index i: Int) -> JSONValue? {
        if case .array(let a) = self, a.indices.contains(i) { return a[i] }
        return nil
    }
}

/// Where Slack text objects sit in a payload.
enum SlackPayload {
    static func textObjects(_ body: JSONValue) -> [JSONValue] {
        var found: [JSONValue] = []
        func walk(_ v: JSONValue) {
            switch v {
            case .object(let o):
                if let type = o["type"]?.stringValue, type == "mrkdwn" || type == "plain_text" { found.append(v) }
                for (_, child) in o.pairs { walk(child) }
            case .array(let a): a.forEach(walk)
            default: break
            }
        }
        walk(body)
        return found
    }
}
