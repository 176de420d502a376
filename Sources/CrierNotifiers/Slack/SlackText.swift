/// Log text for Slack's two kinds of text object.
///
/// Slack parses `<…>` into links with any label (`<https://evil|Reset password>`), user and
/// group mentions and `<!here>`/`<!channel>`; it has no backslash escape, and a zero-width
/// space *enables* formatting (it makes a word boundary). So log text goes into `plain_text`
/// objects wherever it stands alone, and the few places that must be mrkdwn (the top-level
/// notification text, the plain-text resend, a traceback in a code block) get Slack's own
/// escapes plus look-alike characters for the formatting marks.
enum SlackText {
    /// `plain_text`: shown as written, no formatting. Belt and braces against a reading of
    /// tokens Slack does not document for plain text: a word joiner (invisible, not a word
    /// boundary) follows each `<` and the `@` of a mass mention.
    static let plain = TextEscaper { units in
        units.enumerated().map { i, unit in
            if unit == "<" { return "<\u{2060}" }
            if unit == "@" && TextEscaper.followedByMassMention(units, at: i) { return "@\u{2060}" }
            return unit
        }
    }

    /// mrkdwn prose: `&`, `<`, `>` as entities (Slack's rule; an entity is shown, never read
    /// again as a token), a soft hyphen before a `>` that starts a line (`&gt;` there still
    /// quotes in some clients), look-alikes for `*` `_` `~` `` ` `` (as jsx-slack does: ∗ ˍ ∼ ˋ),
    /// a word joiner after the `@` of a mass mention and after a `:` that could open an
    /// `:emoji:` code.
    static let mrkdwn = TextEscaper { units in
        units.enumerated().map { i, unit in
            let lineStart = i == 0 || units[i - 1].hasSuffix("\n")
            var out = TextEscaper.mapScalars(unit) { s in
                switch s {
                case "&": "&amp;"
                case "<": "&lt;"
                case ">": lineStart ? "\u{00AD}&gt;" : "&gt;"
                case "*": "\u{2217}"
                case "_": "\u{02CD}"
                case "~": "\u{223C}"
                case "`": "\u{02CB}"
                default: nil
                }
            }
            if unit == "@" && TextEscaper.followedByMassMention(units, at: i) { out += "\u{2060}" }
            if unit == ":" && i + 1 < units.count && isShortcodeStart(units[i + 1])
                && !(i > 0 && units[i - 1].utf8.count == 1 && (0x30...0x39).contains(units[i - 1].utf8.first!)) {
                // `10:15` stays as it is; `:skull:` does not become an emoji.
                out += "\u{2060}"
            }
            return out
        }
    }

    /// Inside a mrkdwn code block crier opened: entities (Slack decodes them there too), and
    /// backtick runs broken so log text cannot close the block. Nothing else formats there.
    static let code = TextEscaper { units in
        units.map { unit in
            TextEscaper.mapScalars(unit) { s in
                switch s {
                case "&": "&amp;"
                case "<": "&lt;"
                case ">": "&gt;"
                case "`": "`\u{200B}"
                default: nil
                }
            }
        }
    }

    /// Slack's three control characters only, for crier's own text (rule ids, labels).
    static func entities(_ text: String) -> String {
        TextEscaper.mapScalars(text) { s in
            switch s {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            default: nil
            }
        }
    }

    static func isShortcodeStart(_ unit: String) -> Bool {
        guard unit.utf8.count == 1, let b = unit.utf8.first else { return false }
        return (0x61...0x7A).contains(b | 0x20) || (0x30...0x39).contains(b) || b == UInt8(ascii: "+")
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }
}
