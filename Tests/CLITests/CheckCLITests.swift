import CrierTestSupport
import Foundation
import Testing

/// `crier check` on configs that are wrong in one way each: the error is reported once, at
/// the key and line where the mistake was written, before anything is sent anywhere.
@Suite struct CheckErrorCLITests {
    /// The problem lines of a failed check (continuation lines of a message are indented
    /// further and belong to the line above).
    func problems(_ yaml: String, file: String = "crier.yaml") throws -> (lines: [String], path: String, stderr: String) {
        let dir = TempDirectory()
        let path = dir.write(file, yaml)
        let r = try CLI.run(["check", "--config", path])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("    ") }
            .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: path, with: file) }
        return (lines, path, r.stderr)
    }

    @Test func discordRefusesTheseUsernamesAndAvatars() throws {
        let long = String(repeating: "x", count: 81)
        let (lines, _, stderr) = try problems("""
            packs: []
            notifiers:
              - {name: a, type: discord, webhook_url: "https://discord.com/api/webhooks/1/t", username: "Discord alerts"}
              - {name: b, type: discord, webhook_url: "https://discord.com/api/webhooks/1/t", username: "CLYDE"}
              - {name: c, type: discord, webhook_url: "https://discord.com/api/webhooks/1/t", username: "   "}
              - {name: d, type: discord, webhook_url: "https://discord.com/api/webhooks/1/t", username: "\(long)"}
              - {name: e, type: discord, webhook_url: "https://discord.com/api/webhooks/1/t", avatar_url: "ftp://x/a.png"}
              - {name: f, type: discord, webhook_url: "https://discord.com/api/webhooks/1/t", username: "crier", avatar_url: "https://x/a.png"}

            """)
        #expect(lines.count == 5, "\(stderr)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:3: notifiers[0].username:") && $0.contains("discord") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:4: notifiers[1].username:") && $0.contains("clyde") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:5: notifiers[2].username:") && $0.contains("empty") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:6: notifiers[3].username:") && $0.contains("80") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:7: notifiers[4].avatar_url:") && $0.contains("http") }, "\(lines)")
    }

    @Test func slackRefusesBadIconsAndEmptyOverrides() throws {
        let (lines, _, stderr) = try problems("""
            packs: []
            notifiers:
              - name: s
                type: slack
                webhook_url: https://hooks.slack.com/services/T/B/X
                icon_url: "file:///tmp/a.png"
                icon_emoji: "rotating_light"
                username: ""
                channel: " "

            """)
        #expect(lines.count == 4, "\(stderr)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:6: notifiers[0].icon_url:") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:7: notifiers[0].icon_emoji:") && $0.contains(":rotating_light:") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:8: notifiers[0].username:") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:9: notifiers[0].channel:") }, "\(lines)")
    }

    @Test func entriesKeepTheirIndexWhenAnEarlierOneIsDropped() throws {
        let (lines, _, stderr) = try problems("""
            packs: []
            notifiers:
              - {name: a, type: discrod}
              - {name: b, type: console}
              - {name: b, type: console}
            routes:
              - just a string
              - {notifiers: [nope]}
            digests:
              - 42
              - {name: d, every: 1h, notifiers: [gone]}

            """)
        #expect(lines.contains { $0.hasPrefix("crier.yaml:5: notifiers[2].name:") && $0.contains("two notifiers") }, "\(stderr)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:8: routes[1].notifiers:") && $0.contains("'nope'") }, "\(stderr)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:11: digests[1].notifiers:") && $0.contains("'gone'") }, "\(stderr)")
        #expect(!lines.contains { $0.contains("notifiers[1].name") || $0.contains("routes[0].notifiers")
            || $0.contains("digests[0].notifiers") }, "\(stderr)")
    }

    @Test func anUnknownTypeIsOneErrorNotOnePerKey() throws {
        let (lines, _, stderr) = try problems("""
            packs: []
            notifiers:
              - name: chat
                type: discrod
                webhook_url: https://discord.com/api/webhooks/1/t
                username: crier
                update: new
              - name: typeless
                webhook_url: https://discord.com/api/webhooks/1/t
            sources:
              - type: jornal
                units: [a.service]
                start: head

            """)
        #expect(lines.count == 3, "\(stderr)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:4: notifiers[0].type:") && $0.contains("discord") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:8: notifiers[1].type: is required") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:11: sources[0].type:") }, "\(lines)")
        #expect(!stderr.contains("unknown key"), "\(stderr)")
    }

    @Test func regexAndTemplateErrorsPointAtTheirKey() throws {
        let (lines, _, stderr) = try problems("""
            packs: []
            rules:
              - id: broken_regex
                severity: error
                regex: 'Task (?<task>[\\w.]+'
              - id: broken_templates
                regex: ok
                title: "Task {{#task}} never closed"
                fields:
                  Task: "{{task}"
              - id: broken_start
                start: {regex: 'a(?<id>b'}
                end: 'c (?<id>d)'
                key: id
                timeout: 5m

            """)
        #expect(lines.count == 4, "\(stderr)")
        // PCRE2 fails at the end of the pattern: the closing quote, column 32.
        #expect(lines.contains { $0.hasPrefix("crier.yaml:5:32: rules[0].regex: rule 'local.broken_regex'") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:8:") && $0.contains("rules[1].title:") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:10:") && $0.contains("rules[1].fields.Task:") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("crier.yaml:12:") && $0.contains("rules[2].start.regex:") }, "\(lines)")
    }

    @Test func aRepeatedKeyIsReportedWhereItIsRepeated() throws {
        let (lines, _, stderr) = try problems("""
            packs: []
            notifiers:
              - {name: a, type: console}
            server:
              listen: 127.0.0.1:9107
            notifiers:
              - {name: b, type: console}

            """)
        #expect(lines.count == 1, "\(stderr)")
        #expect(lines.first?.hasPrefix("crier.yaml:6: ") == true, "\(lines)")
        #expect(lines.first?.contains("notifiers") == true, "\(lines)")
    }

    @Test func aDirectoryIsNotAConfigFile() throws {
        let dir = TempDirectory()
        let r = try CLI.run(["check", "--config", dir.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(dir.path): is a directory; give the config file"), "\(r.stderr)")
    }
}
