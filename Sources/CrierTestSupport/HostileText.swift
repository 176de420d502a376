public import CrierCore

/// A deterministic generator of text a stranger could put in a log line: Markdown and mrkdwn
/// tokens, mentions and `<…>` tokens, masked and bare links, terminal control sequences,
/// bytes that are not UTF-8, bidi overrides, invisible characters, combining floods, emoji
/// sequences, blank text and huge text. The same seed always gives the same strings, so a
/// failing case is reproduced by its seed (property tests here, a fuzzer's corpus later).
public struct HostileText {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// SplitMix64: small, fast, good enough to spread cases.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// Discord and Slack Markdown, quotes, headers, lists, code.
    public static let markup = [
        "**", "*", "__", "_", "~~", "~", "||", "`", "```", "```py\n", "\n> ", "> ", ">>> ", "\n# ", "# ", "## ", "### ",
        "-# ", "\n-# tiny", "- ", "* ", "1. ", "\\", "\\\\", "\\*", "||spoiler||", "**bold**", "_it_", "~strike~", "`code`",
        "```\nblock\n```", "> quote", "&gt; quote",
    ]

    /// Links of every shape, masked or bare.
    public static let links = [
        "[verify your account](https://evil.example/login)", "[x](<https://evil.example>)", "[https://ok.example](https://evil.example)",
        "<https://evil.example>", "https://evil.example/a_b*c*", "http://evil.example", "https://evil.example/login?next=/home",
        "<https://evil.example|Reset password>", "<mailto:a@evil.example|mail>", "www.evil.example", "discord.gg/evil",
    ]

    /// Pings and tokens: Discord and Slack.
    public static let mentions = [
        "@everyone", "@here", "@Everyone", "@HERE", "@channel", "a@everyone", "<@123456789012345678>", "<@!123456789012345678>",
        "<@&123456789012345678>", "<#123456789012345678>", "</deploy:123456789012345678>", "<:skull:123456789012345678>",
        "<a:x:1>", "<t:0:R>", "<t:1700000000>", "<id:customize>", "<a@b.example>", "<+15551234567>", "<!here>", "<!channel>",
        "<!everyone>", "<!subteam^S012AB3CD>", "<@U012AB3CD>", "<#C012AB3CD>", "<!date^0^{date}|x>", "&lt;!here&gt;",
        "&amp;", "&", "<", ">", ":skull:", ":+1:", ":x:", "10:15:00",
    ]

    /// What a terminal acts on.
    public static let controls = [
        "\u{1B}[31m", "\u{1B}[2J", "\u{1B}]0;pwned\u{07}", "\u{1B}]8;;https://evil.example\u{1B}\\click\u{1B}]8;;\u{1B}\\",
        "\u{1B}]52;c;cm0gLXJmIH4=\u{07}", "\u{1B}P$q\u{1B}\\", "\u{9B}2J", "\u{9D}0;t\u{9C}", "\u{85}", "\r", "\r\n", "\u{08}",
        "\u{7F}", "\u{00}", "\u{07}", "\u{0B}", "\u{0C}", "\u{1B}", "\u{1B}[201~",
    ]

    /// Text that reorders, hides or stacks.
    public static let unicode = [
        "\u{202E}evil\u{202C}", "\u{2066}", "\u{2069}", "\u{200F}", "\u{061C}", "\u{200B}", "\u{2060}", "\u{FEFF}", "\u{00AD}",
        "\u{E0041}", "\u{2028}", "\u{2029}", "e" + String(repeating: "\u{0301}", count: 50), "`\u{0301}", "@\u{0301}",
        "🚀", "👩\u{200D}💻", "🏳\u{FE0F}\u{200D}🌈", "🇺🇸", "日本語のログ", "ünïcödé", "\u{FFFD}", "𝐛𝐨𝐥𝐝",
    ]

    public static let plain = ["admin", "root", "ok", " ", "   ", "\t", "\n", "\n\n", "\u{3000}", "from 203.0.113.7", "x"]

    /// Not UTF-8: what crier's readers turn into U+FFFD.
    public static let invalidUTF8 = [String(decoding: [0xFF, 0xFE, 0xC3], as: UTF8.self),
                                     String(decoding: [0xED, 0xA0, 0x80], as: UTF8.self)]

    /// One hostile string: a few tokens of every family, sometimes blank, sometimes huge.
    public mutating func string(maxTokens: Int = 10) -> String {
        if chance(5) { return pick(["", " ", "    ", "\u{3000}\t", "\n"]) }
        var out = ""
        for _ in 0...below(maxTokens) {
            switch below(7) {
            case 0: out += pick(HostileText.markup)
            case 1: out += pick(HostileText.links)
            case 2: out += pick(HostileText.mentions)
            case 3: out += pick(HostileText.controls)
            case 4: out += pick(HostileText.unicode)
            case 5: out += pick(HostileText.invalidUTF8)
            default: out += pick(HostileText.plain)
            }
        }
        if chance(8) { out = String(repeating: out + " ", count: 6_000 / max(out.utf8.count, 1) + 1) }
        return out
    }

    /// A batch whose every piece of log text (title, body, field names and values, host,
    /// other examples, traceback, link) is hostile; its shape (count, reason, severity)
    /// varies with the seed too.
    public mutating func batch() -> AlertBatch {
        let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10, minute: 5, second: 2)
        let severity = pick(Severity.allCases)
        let alerts = (0...below(4)).map { i in
            let fields = (0..<below(30)).map { _ in AlertField(chance(10) ? pick(HostileText.plain) : string(maxTokens: 3), string(maxTokens: 6)) }
            let traceback = chance(50) ? Traceback(text: "Traceback (most recent call last):\n"
                + (0..<below(60)).map { _ in "  File \"\(string(maxTokens: 2))\", line 1, in f\n    \(string(maxTokens: 4))" }.joined(separator: "\n")
                + "\nValueError: " + string()) : nil
            let link = chance(30) ? pick(["https://logs.example.com/q?id=" + string(maxTokens: 2), "javascript:alert(1)",
                                          "https://logs.example.com/ok", "data:text/html,<script>"]) : nil
            return Alert(rule: "pack.rule", severity: severity, title: string(), body: string(maxTokens: 20), fields: fields,
                         labels: [Label("ip", string(maxTokens: 2))], fingerprint: Fingerprint(value: 0x1234_5678_9ABC_DEF0),
                         timestamp: t0 + .seconds(Int64(i)), link: link, host: chance(70) ? string(maxTokens: 2) : nil,
                         excerpt: "", traceback: traceback, source: "hostile.log")
        }
        let count = pick([1, 2, alerts.count, 10_000])
        let reason = pick([BatchReason.first, .burst, .repeat, .resolved])
        return AlertBatch(fingerprint: alerts[0].fingerprint, rule: "pack.rule", severity: severity, labels: alerts[0].labels,
                          reason: reason, alerts: alerts, count: max(count, alerts.count), firstSeen: t0,
                          lastSeen: t0 + .seconds(30), decidedAt: t0 + .seconds(40), episodeCount: max(count, alerts.count),
                          episodeStart: t0, previousMessageAt: reason == .first ? nil : t0)
    }
}
