import CrierCore

/// How log text is made inert for one kind of field of one destination.
///
/// It works on *units*: one character of log text (already in its visible form, see
/// `VisibleControls`) and whatever it became once escaped. `TextLimit` cuts only between
/// units, so a cut never leaves half an escape (`\`, `&am`, `\u{1`), never splits a character
/// or a surrogate pair, and can never open a mention or Markdown construct: by the time text
/// is measured every such construct is already escaped, so there is none left to split.
public struct TextEscaper: Sendable {
    /// Escapes each unit; may look at its neighbours (a line start, a word after `@`).
    let transform: @Sendable (_ units: [String]) -> [String]

    public init(_ transform: @escaping @Sendable (_ units: [String]) -> [String]) {
        self.transform = transform
    }

    /// Visible controls only: for fields a destination shows as written (Discord footers and
    /// author names, which have no Markdown, so a backslash would show).
    public static let plain = TextEscaper { $0 }

    /// HTML text nodes and quoted attribute values.
    public static let html = TextEscaper { units in
        units.map { unit in
            mapScalars(unit) { s in
                switch s {
                case "&": "&amp;"
                case "<": "&lt;"
                case ">": "&gt;"
                case "\"": "&quot;"
                case "'": "&#x27;"
                default: nil
                }
            }
        }
    }

    /// Inside a code block crier opened: escapes do not work there, so a run of backticks is
    /// broken with a zero-width space after each one; log text cannot close the block.
    public static let codeBlock = TextEscaper { units in
        units.map { unit in mapScalars(unit) { $0 == "`" ? "`\u{200B}" : nil } }
    }

    /// Units of `text` (one per character, in visible form) run through this escaper.
    public func units(_ text: String) -> [String] {
        transform(text.map(VisibleControls.escape))
    }

    /// `text` escaped whole, with no limit.
    public func escape(_ text: String) -> String { units(text).joined() }
}

extension TextEscaper {
    /// `unit` with each scalar that `replace` names replaced. Works on scalars, not
    /// characters: a backtick carrying a combining mark is one character but still a
    /// backtick to a Markdown parser.
    static func mapScalars(_ unit: String, _ replace: (Unicode.Scalar) -> String?) -> String {
        guard unit.unicodeScalars.contains(where: { replace($0) != nil }) else { return unit }
        var out = ""
        for s in unit.unicodeScalars {
            if let r = replace(s) { out += r } else { out.unicodeScalars.append(s) }
        }
        return out
    }

    /// Whether the units after `index` spell `word` (ASCII, any case), as a server scanning
    /// bytes would read them: a mark on a letter (`e\u{301}`) does not hide it.
    static func followed(_ units: [String], at index: Int, by word: String) -> Bool {
        var i = index + 1
        for expected in word.utf8 {
            guard i < units.count, let b = units[i].utf8.first, b | 0x20 == expected | 0x20 else { return false }
            i += 1
        }
        return true
    }

    /// Whether the units after `index` spell one of the mass mentions (`@everyone`, `@here`,
    /// Slack's `@channel`), which is the case whatever follows.
    static func followedByMassMention(_ units: [String], at index: Int) -> Bool {
        followed(units, at: index, by: "everyone") || followed(units, at: index, by: "here")
            || followed(units, at: index, by: "channel")
    }

    static func isASCIIAlphanumeric(_ unit: String?) -> Bool {
        guard let unit, unit.utf8.count == 1, let b = unit.utf8.first else { return false }
        return (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
    }
}
