import CrierCore
import Testing

@Suite struct LiteralPrefilterTests {
    func required(_ pattern: String) -> [String]? {
        LiteralPrefilter(pattern: pattern)?.alternatives.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func findsTheLiteralsEveryMatchContains() {
        #expect(required(#"Failed password for (?<user>\S+) from (?<ip>\S+)"#) == ["Failed password for "])
        #expect(required("(?:foo|barbaz)x") == ["foo", "barbaz"], "an alternation group beats a one-byte run")
        #expect(required(#"(?J)^(?!\s*\{)(?=.*?\bjob(?:_id|id)?=(?<job>\S+))"#) == ["job"], "a lookahead's literal is required")
        #expect(required("colou?r") == ["colo"], "an optional byte ends the run before it")
        #expect(required("(?<a>abc)|def") == ["abc", "def"])
        #expect(required("(?!foo)barx") == ["barx"], "a negative lookahead requires nothing")
        #expect(required(#"a\.b\[c\]"#) == ["a.b[c]"])
        #expect(required("ab{c") == ["ab{c"], "a { that is no quantifier is a literal")
        #expect(required("[abc]def[^]x]ghij") == ["ghij"])
        #expect(required(#"(*UTF)Out of memory: Killed"#) == ["Out of memory: Killed"])
        #expect(required("abc{2,}def") == ["def"])
        #expect(required(#"\tkey"#) == ["\tkey"])
    }

    @Test func anythingNotFollowedGivesNoPrefilter() {
        #expect(required("(?i)failed") == nil, "case folding")
        #expect(required("(?x) f a i l") == nil, "extended syntax")
        #expect(required("(?:|abc)") == nil, "an empty branch requires nothing")
        #expect(required(#"\Qa.b\E"#) == nil)
        #expect(required(#"\x41bcd"#) == nil)
        #expect(required("(?(1)abc|def)") == nil, "conditionals")
        #expect(required("a|bcd") == nil, "a one-byte branch is too short to search for")
        #expect(required("(?:abc)?de") == nil, "nothing of three bytes is mandatory")
        #expect(required("é?abc") == nil, "a quantifier on a code point")
        #expect(required("abc)") == nil, "unbalanced")
    }

    @Test func searchFindsALiteralAnywhereAndOnlyThere() throws {
        let regex = try Regex("Killed process (?<pid>\\d+)")
        let matcher = RegexMatcher(regex, scratch: RegexScratch())
        for (line, expected) in [("kernel: Out of memory: Killed process 42 (x)", RegexMatchResult.match),
                                 ("Killed process 7", .match), ("Killed proces 7", .noMatch), ("", .noMatch),
                                 ("kKilled process", .noMatch)] {
            var bytes = Array(line.utf8)
            let result = bytes.withUnsafeMutableBytes { matcher.match(UnsafeRawBufferPointer($0)) }
            #expect(result == expected, "\(line)")
        }
    }
}
