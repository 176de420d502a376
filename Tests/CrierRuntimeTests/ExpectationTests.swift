import CrierCore
import Testing

@testable import CrierRuntime

@Suite struct ExpectationTests {
    let text = """
        # expect: rule=sshd.failed_password ip=203.0.113.7 user="root user"
        # expect: rule=pam.auth_failure
        line three
        # expect: none

        line six
        # expect: ruel
        line eight
        """

    @Test func annotationsPointAtTheNextLogLine() {
        let (e, problems) = Expectation.parse(text, file: "t.log")
        #expect(e.map(\.line) == [3, 3, 6])
        #expect(e[0].rule == "sshd.failed_password" && e[0].captures.map(\.value) == ["203.0.113.7", "root user"])
        #expect(e[2].rule == nil)
        #expect(problems == ["t.log:7: expected `none` or `rule=ID name=value…`, found 'ruel'"])
    }

    @Test func precisionAndRecallCountEachKindOfMistake() {
        let (e, _) = Expectation.parse(text, file: "t.log")
        let matches = [
            ObservedMatch(line: 3, rule: "sshd.failed_password", fields: ["ip": "203.0.113.7", "user": "root user"]),
            ObservedMatch(line: 6, rule: "sshd.invalid_user", fields: [:]),
        ]
        let check = ExpectationCheck(expectations: e, matches: matches, groups: [:], file: "t.log")
        #expect(check.mismatches == ["t.log:3: expected pam.auth_failure, the line matched sshd.failed_password",
                                     "t.log:6: sshd.invalid_user matched (expected none)"])
        #expect(check.byPack["sshd"]?.truePositives == 1 && check.byPack["sshd"]?.falsePositives == 1)
        #expect(check.byPack["pam"]?.falseNegatives == 1)
        #expect(check.byPack["sshd"]?.precision == 0.5)

        // A group name stands for its rules; wrong captures are a miss and a false alarm.
        let grouped = ExpectationCheck(
            expectations: [Expectation(line: 1, annotationLine: 0, rule: "sshd.auth_failure", captures: [("ip", "1.1.1.1")])],
            matches: [ObservedMatch(line: 1, rule: "sshd.invalid_user", fields: ["ip": "2.2.2.2"])],
            groups: ["sshd.invalid_user": "sshd.auth_failure"], file: "g.log")
        #expect(grouped.mismatches == ["g.log:1: sshd.invalid_user matched with ip=1.1.1.1 but got '2.2.2.2'"])
        #expect(grouped.byPack["sshd"]?.falseNegatives == 1 && grouped.byPack["sshd"]?.falsePositives == 1)
    }
}
