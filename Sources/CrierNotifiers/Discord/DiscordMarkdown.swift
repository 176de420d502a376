/// Log text in Discord Markdown (content, embed title, description, field names and values).
///
/// Every ASCII punctuation character gets a backslash. Discord's parser (simple-markdown's
/// `escape` rule, `^\\([^0-9A-Za-z\s])`) shows any such escaped character literally, so this
/// one rule covers every construct there is and every one Discord adds later: bold, italics,
/// underline, strike, spoilers, code, quotes, headers `#`, subtext `-#`, lists, masked links
/// `[text](url)`, `<…>` tokens (mentions `<@id>` `<@&id>` `<#id>`, slash commands, emoji,
/// `<t:…>` timestamps, `<id:…>` navigation, `<a@b>` e-mail, `<+1…>` phone, `<https://…>`
/// autolinks) and bare URLs (an escaped `:` is no `https://`, so nothing links or unfurls).
/// Construct-aware escapers keep missing new syntax (discord.py and discord.js both missed
/// headers and subtext for a while); this one cannot. Punctuation costs two code points.
///
/// Escaping is display only: Discord still pings an escaped mention. Pings are stopped by
/// `allowed_mentions`, and as a second guard a zero-width space follows an `@` that starts a
/// word or a mass mention, so `@everyone`/`@here` are no longer the words Discord looks for.
/// Footers and author names have no Markdown at all and use `TextEscaper.plain` instead.
enum DiscordMarkdown {
    static let escaper = TextEscaper { units in
        var out: [String] = []
        out.reserveCapacity(units.count)
        for (i, unit) in units.enumerated() {
            // Each ASCII punctuation scalar of the unit gets its backslash: a visible escape
            // such as `\u{1B}` has several, and `` ` `` with a combining mark is one character
            // but still a backtick to Discord's parser.
            var escaped = ""
            for s in unit.unicodeScalars {
                if s.isASCII && isPunctuation(UInt8(s.value)) { escaped.append("\\") }
                escaped.unicodeScalars.append(s)
            }
            if unit == "@" && (!TextEscaper.isASCIIAlphanumeric(i > 0 ? units[i - 1] : nil)
                               || TextEscaper.followedByMassMention(units, at: i)) {
                escaped += "\u{200B}"
            }
            out.append(escaped)
        }
        return out
    }

    /// `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`
    @inline(__always)
    static func isPunctuation(_ b: UInt8) -> Bool {
        (0x21...0x2F).contains(b) || (0x3A...0x40).contains(b) || (0x5B...0x60).contains(b) || (0x7B...0x7E).contains(b)
    }
}
