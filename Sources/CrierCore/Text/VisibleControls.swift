/// Shows the characters a terminal acts on, or that hide or reorder text, as visible escapes.
///
/// Log text is written by strangers. Printed raw, ESC starts sequences that set the window
/// title, write the clipboard (OSC 52), draw hyperlinks whose target is hidden (OSC 8), wipe
/// the screen, or make some terminals type text back into the shell (CVE-2003-0063,
/// CVE-2009-4487, kubectl's CVE-2021-25743). C1 controls do the same in one byte (0x9B is
/// CSI), CR and backspace overprint what came before, bidi overrides reorder what is shown
/// (CVE-2021-42574), and invisible characters make `adm\u{200B}in` look like `admin`.
///
/// The convention, everywhere crier shows log text: such a scalar becomes `\u{HEX}` (Swift's
/// spelling, upper-case hex, no padding), so ESC is `\u{1B}`, a one-byte CSI `\u{9B}`, a
/// right-to-left override `\u{202E}`. Newline and tab stay; CR LF becomes LF. Combining marks
/// beyond the 16th on one character are shown the same way, so a "Zalgo" flood cannot stack
/// into a tower that hangs a terminal. Backslashes are not doubled: logs are full of them
/// (JSON escapes, Windows paths) and doubling each would make those hard to read; the price is
/// that a log that literally says `\u{1B}` looks like one holding an ESC, which misleads no
/// one into harm. Because nothing it emits is escaped again, applying it twice changes
/// nothing, so every output point may apply it without knowing whether another did.
public enum VisibleControls {
    /// Combining marks kept on one character; more are shown as escapes.
    public static let maxMarksPerCharacter = 16

    /// Whether `s` is shown as an escape wherever it appears (a zero-width joiner inside an
    /// emoji sequence is the one exception, decided per character).
    @inline(__always)
    public static func isHidden(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A: false
        case 0x00...0x1F, 0x7F...0x9F: true  // C0, DEL, C1
        case 0x00AD, 0x061C, 0x180E: true  // soft hyphen, Arabic letter mark, Mongolian vowel separator
        case 0x200B...0x200F, 0x2028...0x202E: true  // zero-width, LRM/RLM, line/paragraph separators, bidi embeddings
        case 0x2060...0x2064, 0x2066...0x206F: true  // word joiner, invisible operators, bidi isolates, deprecated formats
        case 0xFEFF, 0xFFF9...0xFFFB, 0xE0000...0xE007F: true  // BOM, interlinear annotation, tags
        default: false
        }
    }

    /// `text` with every hidden scalar shown as `\u{HEX}`.
    public static func escape(_ text: String) -> String {
        if isPlain(text) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for c in text { out += escape(c) }
        return out
    }

    /// One character (grapheme) in its visible form; an escape is never split from it.
    public static func escape(_ c: Character) -> String {
        let scalars = c.unicodeScalars
        if let first = scalars.first, scalars.count == 1 {
            return isHidden(first) ? code(first) : String(c)
        }
        if c == "\r\n" { return "\n" }
        var out = ""
        var marks = 0
        let last = scalars.count - 1
        for (i, s) in scalars.enumerated() {
            if isMark(s) { marks += 1 }
            // A joiner between two parts of one character binds an emoji sequence (👩‍💻).
            let joins = s.value == 0x200D && i > 0 && i < last
            if (isHidden(s) && !joins) || (marks > maxMarksPerCharacter && isMark(s)) {
                out += code(s)
            } else {
                out.unicodeScalars.append(s)
            }
        }
        return out
    }

    /// Whether `text` holds nothing to show differently (a quick pass for the common case).
    public static func isPlain(_ text: String) -> Bool {
        var ascii = true
        for b in text.utf8 where b < 0x20 || b >= 0x7F {
            if b >= 0x80 {
                ascii = false
                break
            }
            if b != 0x0A && b != 0x09 { return false }
        }
        if ascii { return true }
        var run = 0
        for s in text.unicodeScalars {
            if isHidden(s) { return false }
            if isMark(s) {
                run += 1
                if run > maxMarksPerCharacter { return false }
            } else {
                run = 0
            }
        }
        return true
    }

    static func isMark(_ s: Unicode.Scalar) -> Bool {
        guard s.value >= 0x300 else { return false }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    static func code(_ s: Unicode.Scalar) -> String { "\\u{" + String(s.value, radix: 16, uppercase: true) + "}" }
}
