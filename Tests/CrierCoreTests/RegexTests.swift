import Testing

@testable import CrierCore

@Suite struct RegexTests {
    func match(_ pattern: String, _ subject: [UInt8]) throws -> (RegexMatchResult, [String: String]) {
        let regex = try Regex(pattern)
        let matcher = RegexMatcher(regex, scratch: RegexScratch())
        return subject.withUnsafeBytes { bytes in
            let result = matcher.match(bytes)
            var groups: [String: String] = [:]
            if result == .match {
                for (name, group) in regex.captureNames {
                    if let b = matcher.bytes(ofGroup: group) { groups[name] = b.lossyString }
                }
            }
            return (result, groups)
        }
    }

    @Test func namedCapturesOnBytes() throws {
        let (result, groups) = try match(#"Failed (?<method>\S+) for (?<user>\S+) from (?<ip>[\d.]+)"#,
                                         Array("Failed password for root from 1.2.3.4 port 22".utf8))
        #expect(result == .match)
        #expect(groups == ["method": "password", "user": "root", "ip": "1.2.3.4"])
    }

    @Test func invalidUTF8NeitherFailsNorMatchesTheWrongThing() throws {
        var subject = Array("user \u{00e9}".utf8)
        subject.append(0xFF)
        subject += Array(" from 10.0.0.1".utf8)
        let (result, groups) = try match(#"from (?<ip>\S+)"#, subject)
        #expect(result == .match)
        #expect(groups["ip"] == "10.0.0.1")
    }

    @Test func bytesThatAreNotUTF8DoNotStopAWildcard() throws {
        // journald hands over Latin-1 user names as raw bytes: "j\xfcrgen".
        let subject = Array("Failed password for invalid user j".utf8) + [0xFC] + Array("rgen from 192.0.2.55 port 1".utf8)
        let (result, groups) = try match(#"for (?:invalid user )?(?<user>.*) from (?<ip>\S+)"#, subject)
        #expect(result == .match)
        #expect(groups["ip"] == "192.0.2.55")
    }

    @Test func utfModeIsOptIn() throws {
        let (bytes, _) = try match("^[é]x$", Array("éx".utf8))
        #expect(bytes == .noMatch)  // byte mode: [é] is a class of two bytes, one of which must match alone
        let (unicode, _) = try match("(*UTF)^[é]x$", Array("éx".utf8))
        #expect(unicode == .match)
        let (invalid, _) = try match("(*UTF)x", [0xFF, UInt8(ascii: "x")])
        #expect(invalid == .match)
    }

    @Test func compileErrorsCarryTheOffset() {
        #expect(throws: RegexCompileError.self) { try Regex("Task (?<task>[\\w.]+") }
        do {
            _ = try Regex("abc(?<x")
        } catch {
            #expect(error.offset > 3)
            #expect(error.message.contains("name") || error.message.contains("terminator"))
        }
    }

    @Test func catastrophicBacktrackingIsCutOffNotHung() throws {
        let regex = try Regex("(a+)+$")
        let matcher = RegexMatcher(regex, scratch: RegexScratch(matchLimit: 10_000))
        let subject = Array(String(repeating: "a", count: 40).utf8) + [UInt8(ascii: "b")]
        let result = subject.withUnsafeBytes { matcher.match($0) }
        #expect(result == .limitExceeded)
    }

    @Test func emptySubject() throws {
        let (result, _) = try match("^$", [])
        #expect(result == .match)
    }
}
