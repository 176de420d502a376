/// What must hold for text rendered from hostile log text, as plain functions: each returns
/// the problems it found (empty when the text is safe), so property tests and a fuzzer can
/// call the same checks. They state the property independently of how crier escapes:
/// they read the output the way the destination would.
public enum HostileTextChecks {
    /// Raw scalars a terminal acts on or that reorder text: C0 (but newline and tab), DEL,
    /// C1, bidi controls, line and paragraph separators.
    public static func terminal(_ text: String, _ what: String = "text") -> [String] {
        let raw = text.unicodeScalars.filter { s in
            (s.value < 0x20 && s != "\n" && s != "\t") || (0x7F...0x9F).contains(s.value) || s.value == 0x61C
                || s.value == 0x200E || s.value == 0x200F || (0x2028...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value)
        }
        return raw.isEmpty ? [] : ["\(what): raw control \(raw.map { "U+" + String($0.value, radix: 16, uppercase: true) })"]
    }

    static func isASCIIPunctuation(_ s: Unicode.Scalar) -> Bool {
        guard s.isASCII else { return false }
        let v = s.value
        return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
    }

    /// Mass mentions as a server's mention scanner reads them, whatever escapes precede.
    static func massMentions(_ text: String, words: [String]) -> [String] {
        // Bytes, as a server's scanner reads them: a combining mark after a letter hides nothing.
        let lower = Array(text.lowercased().utf8)
        return words.filter { word in
            let needle = Array(("@" + word).utf8)
            return lower.indices.contains { lower[$0...].starts(with: needle) }
        }.map { "unbroken @\($0)" }
    }

    /// Discord Markdown prose from log text: no ASCII punctuation reaches Discord's parser
    /// unescaped (a backslash before it shows it literally; one before a letter does not
    /// escape), so no construct can form; no `@everyone`/`@here`; no raw controls.
    /// `allowing` lists crier's own literal pieces (the cut marker) to skip.
    public static func discordProse(_ text: String, _ what: String, allowing: [String] = ["… [truncated]"]) -> [String] {
        var rest = text
        for piece in allowing { rest = rest.split(separator: piece, omittingEmptySubsequences: false).joined(separator: " ") }
        var problems: [String] = []
        let scalars = Array(rest.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if s == "\\" {
                if i + 1 < scalars.count, isASCIIPunctuation(scalars[i + 1]) {
                    i += 2
                    continue
                }
                problems.append("\(what): backslash that escapes nothing at \(i)")
            } else if isASCIIPunctuation(s) {
                problems.append("\(what): unescaped '\(s)' at \(i): …\(String(String.UnicodeScalarView(scalars[max(0, i - 12)..<min(scalars.count, i + 12)])))…")
            }
            i += 1
        }
        return Array(problems.prefix(3)) + massMentions(text, words: ["everyone", "here"]).map { "\(what): \($0)" } + terminal(text, what)
    }

    /// A code block crier opened and closed (```` ```py\n…\n``` ````): log text inside it
    /// cannot close it (no two backticks in a row) and holds no raw controls.
    public static func discordCodeBlock(_ block: String, _ what: String) -> [String] {
        guard block.hasPrefix("```py\n"), block.hasSuffix("\n```") else { return ["\(what): not a whole code block"] }
        let inner = String(block.dropFirst(6).dropLast(4))
        return (inner.contains("``") ? ["\(what): backticks that can close the block"] : []) + terminal(inner, what)
    }

    /// Slack plain_text from log text: no `<` that could open a token, no mass mention, no
    /// raw controls.
    public static func slackPlain(_ text: String, _ what: String) -> [String] {
        var problems: [String] = []
        let scalars = Array(text.unicodeScalars)
        for (i, s) in scalars.enumerated() where s == "<" && (i + 1 == scalars.count || scalars[i + 1] != "\u{2060}") {
            problems.append("\(what): '<' not defused at \(i)")
            break
        }
        return problems + massMentions(text, words: ["everyone", "here", "channel"]).map { "\(what): \($0)" } + terminal(text, what)
    }

    /// Slack mrkdwn from log text: no raw `<` or `>`, every `&` an entity, no formatting
    /// mark, a line-start quote defused, no mass mention or `:emoji:` code, no raw controls.
    public static func slackMrkdwn(_ text: String, _ what: String) -> [String] {
        var problems: [String] = []
        let scalars = Array(text.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            switch s {
            case "<", ">", "*", "_", "~", "`": problems.append("\(what): raw '\(s)' at \(i)")
            case "&":
                let after = String(String.UnicodeScalarView(scalars[i..<min(scalars.count, i + 5)]))
                if !(after.hasPrefix("&amp;") || after.hasPrefix("&lt;") || after.hasPrefix("&gt;")) {
                    problems.append("\(what): '&' that is no entity at \(i)")
                }
            case ":":
                if i + 1 < scalars.count, scalars[i + 1].properties.isAlphabetic, scalars[i + 1].isASCII,
                   !(i > 0 && ("0"..."9").contains(scalars[i - 1])) {
                    problems.append("\(what): ':' that can open an emoji code at \(i)")
                }
            default: break
            }
        }
        for line in text.split(separator: "\n") where line.hasPrefix("&gt;") { problems.append("\(what): a quote line: \(line.prefix(20))") }
        return Array(problems.prefix(3)) + massMentions(text, words: ["everyone", "here", "channel"]).map { "\(what): \($0)" }
            + terminal(text, what)
    }

    /// A Slack mrkdwn code block crier opened (```` ```\n…\n``` ````).
    public static func slackCodeBlock(_ text: String, _ what: String) -> [String] {
        guard text.hasPrefix("```\n"), text.hasSuffix("\n```") else { return ["\(what): not a whole code block"] }
        let inner = String(text.dropFirst(4).dropLast(4))
        var problems: [String] = []
        if inner.contains("<") || inner.contains(">") { problems.append("\(what): raw angle bracket") }
        if inner.contains("``") { problems.append("\(what): backticks that can close the block") }
        let scalars = Array(inner.unicodeScalars)
        for (i, s) in scalars.enumerated() where s == "&" {
            let after = String(String.UnicodeScalarView(scalars[i..<min(scalars.count, i + 5)]))
            if !(after.hasPrefix("&amp;") || after.hasPrefix("&lt;") || after.hasPrefix("&gt;")) {
                problems.append("\(what): '&' that is no entity")
                break
            }
        }
        return problems + terminal(inner, what)
    }

    /// Text for an HTML text node: no tag can open, no attribute can close.
    public static func htmlText(_ text: String, _ what: String) -> [String] {
        (text.contains("<") || text.contains(">") || text.contains("\"") ? ["\(what): raw HTML character"] : []) + terminal(text, what)
    }

    /// At most `limit` as a destination counts (`codePoints` for Discord, UTF-16 for Slack).
    public static func within(_ text: String, _ limit: Int, codePoints: Bool, _ what: String) -> [String] {
        let n = codePoints ? text.unicodeScalars.count : text.utf16.count
        return n <= limit ? [] : ["\(what): \(n) over the limit \(limit)"]
    }
}
