import CrierCore
import Foundation
import CrierTestSupport
import Testing

/// The one convention for log text on a terminal: `\u{HEX}` for what a terminal acts on or
/// what hides or reorders text.
@Suite struct VisibleControlsTests {
    @Test(arguments: [
        ("\u{1B}]0;pwned\u{07}", #"\u{1B}]0;pwned\u{7}"#),  // OSC title, BEL-terminated
        ("\u{1B}]8;;https://evil\u{1B}\\ok\u{1B}]8;;\u{1B}\\", #"\u{1B}]8;;https://evil\u{1B}\ok\u{1B}]8;;\u{1B}\"#),  // OSC 8 link
        ("\u{1B}]52;c;cm0gLXJmIH4=\u{07}", #"\u{1B}]52;c;cm0gLXJmIH4=\u{7}"#),  // OSC 52 clipboard
        ("\u{9B}2J", #"\u{9B}2J"#),  // one-byte CSI
        ("\u{9D}0;t\u{9C}", #"\u{9D}0;t\u{9C}"#),  // one-byte OSC and ST
        ("a\rb", #"a\u{D}b"#), ("a\u{08}b", #"a\u{8}b"#), ("a\u{7F}b", #"a\u{7F}b"#), ("\u{00}", #"\u{0}"#),
        ("\u{202E}evil", #"\u{202E}evil"#), ("\u{2066}x\u{2069}", #"\u{2066}x\u{2069}"#), ("a\u{200F}b", #"a\u{200F}b"#),
        ("adm\u{200B}in", #"adm\u{200B}in"#), ("\u{FEFF}x", #"\u{FEFF}x"#), ("a\u{2028}b", #"a\u{2028}b"#),
        ("line\r\nnext", "line\nnext"), ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("plain ascii", "plain ascii"), ("é🚀 ünïcödé", "é🚀 ünïcödé"),
        ("👩\u{200D}💻 works", "👩\u{200D}💻 works"),  // a joiner inside an emoji sequence stays
        ("a\u{200D}", #"a\u{200D}"#),  // a joiner that joins nothing does not
    ])
    func controlsAreShownAsEscapes(_ input: String, _ expected: String) {
        #expect(VisibleControls.escape(input) == expected)
    }

    @Test func aCombiningFloodIsCappedPerCharacter() {
        let zalgo = "e" + String(repeating: "\u{301}", count: 40) + "x"
        let out = VisibleControls.escape(zalgo)
        let kept = out.unicodeScalars.filter { $0 == "\u{301}" }.count
        #expect(kept == VisibleControls.maxMarksPerCharacter)
        #expect(out.hasSuffix(String(repeating: #"\u{301}"#, count: 40 - VisibleControls.maxMarksPerCharacter) + "x"))
        // Ordinary accents are untouched.
        #expect(VisibleControls.escape("Việt Nam, दिल्ली") == "Việt Nam, दिल्ली")
    }

    @Test func escapingTwiceChangesNothing() {
        let nasty = "\u{1B}[31m\u{9B}\u{202E}x\r\n\u{7F}" + "e" + String(repeating: "\u{301}", count: 30)
        let once = VisibleControls.escape(nasty)
        #expect(VisibleControls.escape(once) == once)
        #expect(VisibleControls.isPlain(once))
        #expect(!VisibleControls.isPlain(nasty))
    }

    /// `replay --output jsonl` goes to terminals too: its encoder writes C1 and bidi controls
    /// as `\uXXXX`, which any JSON reader decodes back to the same string.
    @Test func jsonEncodingKeepsC1AndBidiOffTheWire() throws {
        let text = "a\u{9B}2J b\u{202E}c\u{2066}d\u{2069} e\u{2028}f \u{61C}· é — ✓ \u{200E}"
        let encoded = JSONValue.string(text).encoded
        #expect(!encoded.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || (0x2028...0x202E).contains($0.value)
                || (0x2066...0x2069).contains($0.value) || $0.value == 0x61C || $0.value == 0x200E })
        #expect(encoded.contains(#"\u009b"#) && encoded.contains(#"\u202e"#) && encoded.contains("· é — ✓"))
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(encoded)]".utf8)) as? [String]
        #expect(decoded == [text])
    }

    /// On generated hostile text: nothing raw is left, and a second pass changes nothing.
    @Test(arguments: Array(UInt64(0)..<300))
    func hostileTextBecomesTerminalSafe(_ seed: UInt64) {
        var g = HostileText(seed: seed)
        let text = g.string()
        let once = VisibleControls.escape(text)
        #expect(HostileTextChecks.terminal(once).isEmpty, "seed \(seed)")
        #expect(VisibleControls.escape(once) == once, "seed \(seed)")
    }
}
