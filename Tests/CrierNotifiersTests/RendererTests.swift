import CrierCore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierNotifiers

enum Fixtures {
    static let t0 = Timestamp(year: 2026, month: 11, day: 23, hour: 10, minute: 5, second: 2)

    static func alert(title: String = "Task render.tasks.render_montage failed: FFmpegError",
                      body: String = "FFmpegError('ffmpeg exited with status 1: Invalid data found when processing input')",
                      severity: Severity = .error, fields: [AlertField] = [AlertField("Task ID", "5f1c3c2e-8d0b-4a8e-9a51-7c2f9a6b1e10")],
                      traceback: Traceback? = nil, link: String? = nil, host: String? = "render-01") -> Alert {
        Alert(rule: "celery.task_failed", severity: severity, title: title, body: body, fields: fields,
              labels: [Label("task", "render.tasks.render_montage")], fingerprint: Fingerprint(value: 0x6808d7fbf8a558a5),
              timestamp: t0, link: link, host: host, excerpt: body, traceback: traceback, source: "demo.log")
    }

    static let traceback = Traceback(text: """
        Traceback (most recent call last):
          File "/opt/render/venv/lib/python3.11/site-packages/celery/app/trace.py", line 477, in trace_task
            R = retval = fun(*args, **kwargs)
          File "/opt/render/render/ffmpeg.py", line 41, in encode
            raise FFmpegError(f"ffmpeg exited with status {proc.returncode}")
        render.ffmpeg.FFmpegError: ffmpeg exited with status 1
        """)

    static func batch(_ alerts: [Alert], reason: BatchReason = .first, count: Int? = nil,
                      lastSeen: Timestamp? = nil, previous: Timestamp? = nil) -> AlertBatch {
        let lead = alerts[0]
        return AlertBatch(fingerprint: lead.fingerprint, rule: lead.rule, severity: lead.severity, labels: lead.labels,
                          reason: reason, alerts: alerts, count: count ?? alerts.count, firstSeen: t0,
                          lastSeen: lastSeen ?? t0, decidedAt: (lastSeen ?? t0) + .seconds(10),
                          episodeCount: count ?? alerts.count, episodeStart: t0, previousMessageAt: previous)
    }

    /// The batches every notifier has goldens for.
    static var cases: [(String, AlertBatch)] {
        [
            ("first-single", batch([alert()])),
            ("first-burst-with-traceback", batch([alert(traceback: traceback, link: "https://logs.example.com/q?task=5f1c")],
                                                 count: 10_000, lastSeen: t0 + .seconds(1))),
            ("burst-examples", batch([alert(body: "invalid user admin from 203.0.113.7", severity: .warning),
                                      alert(body: "invalid user oracle from 203.0.113.7", severity: .warning),
                                      alert(body: "failed password for root from 203.0.113.7", severity: .warning)],
                                     reason: .burst, count: 2_317, lastSeen: t0 + .seconds(300), previous: t0)),
            ("critical-markup", batch([alert(title: "Disk full on <db-1> & *friends*",
                                             body: "@everyone look: <!here> `rm -rf` **now** > /dev/null _x_ [link](http://evil)",
                                             severity: .critical, fields: [AlertField("Mount", "/var/lib/*data*")])])),
        ]
    }

    static let url = "https://hooks.example.com/services/T000/B000/SECRET-TOKEN-VALUE"

    static func config(_ kind: NotifierConfig.Kind) -> NotifierConfig { NotifierConfig.sample(kind, url: url) }
    static var discord: DiscordConfig { DiscordConfig(name: "discord", webhookURL: Secret(url)) }
    static var slack: SlackConfig { SlackConfig(name: "slack", webhookURL: Secret(url)) }
}

@Suite struct GoldenPayloadTests {
    static let goldenDir = "\(Repository.root())/Tests/CrierNotifiersTests/Goldens"

    @Test(arguments: [NotifierConfig.Kind.discord, .slack, .console, .webhook])
    func payloadsMatchGoldens(kind: NotifierConfig.Kind) {
        let renderer = Renderers.make(Fixtures.config(kind))
        for (name, batch) in Fixtures.cases {
            let payload = renderer.render(batch)
            var text = payload.body.encoded + "\n"
            if !payload.truncations.isEmpty { text += "# truncated: \(payload.truncations.joined(separator: "; "))\n" }
            // Every payload is valid JSON by an independent parser.
            #expect(parseJSON(payload.body.encoded) != nil)
            #expect(!text.contains("SECRET-TOKEN-VALUE"))
            if let problem = Golden.check(text, against: "\(GoldenPayloadTests.goldenDir)/\(kind.rawValue)-\(name).json") {
                Issue.record("\(problem)")
            }
        }
    }
}

@Suite struct DiscordLimitTests {
    let renderer = DiscordRenderer(config: Fixtures.discord)

    func embed(_ batch: AlertBatch) -> (JSONValue, [String]) {
        let payload = renderer.render(batch)
        guard case .array(let embeds)? = payload.body["embeds"] else { return (.null, []) }
        return (embeds[0], payload.truncations)
    }

    /// As Discord counts: code points ("Our API uses Python 3", discord-api-docs#1315).
    func length(_ v: JSONValue?) -> Int { v?.stringValue.map { $0.unicodeScalars.count } ?? 0 }

    @Test func everyLimitHoldsOnHugeInput() {
        let huge = String(repeating: "é🚀x", count: 5_000)
        let fields = (0..<40).map { AlertField("field \($0) \(huge)", huge) }
        let lines = (0..<500).map { "  File \"/app/m\($0).py\", line \($0), in f\($0)" }
        let tb = Traceback(text: "Traceback (most recent call last):\n" + lines.joined(separator: "\n") + "\nValueError: the end")
        let batch = Fixtures.batch([Fixtures.alert(title: huge, body: huge, fields: fields, traceback: tb)], count: 3)
        let (e, notes) = embed(batch)
        #expect(length(e["title"]) <= 256)
        #expect(length(e["description"]) <= 4096)
        guard case .array(let fs)? = e["fields"] else { Issue.record("fields"); return }
        #expect(fs.count <= 25)
        var total = length(e["title"]) + length(e["description"]) + length(e["footer"]?["text"])
        for f in fs {
            #expect(length(f["name"]) <= 256 && length(f["value"]) <= 1024)
            #expect(length(f["name"]) > 0 && length(f["value"]) > 0)
            total += length(f["name"]) + length(f["value"])
        }
        #expect(total <= 6000)
        #expect(!notes.isEmpty)
        #expect(e["title"]?.stringValue?.hasSuffix(TextLimit.cutMarker) == true)
    }

    @Test func tracebackKeepsFirstAndLastLines() {
        let lines = (0..<400).map { "  File \"/app/m\($0).py\", line \($0), in f\($0)" }
        let tb = Traceback(text: "Traceback (most recent call last):\n" + lines.joined(separator: "\n") + "\nValueError: the end")
        let (e, _) = embed(Fixtures.batch([Fixtures.alert(traceback: tb)]))
        let d = e["description"]?.stringValue ?? ""
        #expect(d.contains("Traceback (most recent call last):"))
        #expect(d.contains("ValueError: the end"))
        #expect(d.contains("lines truncated"))
        #expect(TextLimit.length(d) <= 4096)
    }

    @Test func criticalPingsHereAndNothingElseEverPings() {
        let critical = renderer.render(Fixtures.batch([Fixtures.alert(body: "@everyone", severity: .critical)]))
        #expect(critical.body["content"]?.stringValue == "@here")
        #expect(critical.body["allowed_mentions"] == ["parse": ["everyone"]])
        let error = renderer.render(Fixtures.batch([Fixtures.alert(body: "@everyone @here", severity: .error)]))
        #expect(error.body["content"] == nil)
        #expect(error.body["allowed_mentions"] == ["parse": []])
    }

    /// Every ASCII punctuation character is escaped, wherever it stands (Discord shows any
    /// escaped punctuation literally), so no construct can form, known or future.
    @Test func markdownInLogTextIsEscaped() {
        #expect(DiscordRenderer.escape("*bold* _i_ `c` ~s~ |sp| [l](u)") == #"\*bold\* \_i\_ \`c\` \~s\~ \|sp\| \[l\]\(u\)"#)
        #expect(DiscordRenderer.escape("> quote\n# head\na > b") == "\\> quote\n\\# head\na \\> b")
    }
}

@Suite struct SlackLimitTests {
    let renderer = SlackRenderer(config: Fixtures.slack)

    @Test func everyLimitHoldsOnHugeInput() {
        let huge = String(repeating: "<&>x", count: 5_000)
        let fields = (0..<40).map { AlertField("f\($0)", huge) }
        let batch = Fixtures.batch([Fixtures.alert(title: huge, body: huge, fields: fields, traceback: Fixtures.traceback,
                                                   link: "https://logs.example.com/" + String(repeating: "a", count: 4_000))])
        let payload = renderer.render(batch)
        guard case .array(let blocks)? = payload.body["blocks"] else { Issue.record("blocks"); return }
        #expect(blocks.count <= 50)
        for block in blocks {
            switch block["type"]?.stringValue {
            case "header": #expect(TextLimit.length(block["text"]?["text"]?.stringValue ?? "") <= 150)
            case "section":
                if let text = block["text"]?["text"]?.stringValue { #expect(TextLimit.length(text) <= 3000) }
                if case .array(let fs)? = block["fields"] {
                    #expect(fs.count <= 10)
                    for f in fs { #expect(TextLimit.length(f["text"]?.stringValue ?? "") <= 2000) }
                }
            case "actions": Issue.record("a link over 3000 characters must not become a button")
            default: break
            }
        }
        #expect(TextLimit.length(payload.body["text"]?.stringValue ?? "") <= 4000)
    }

    @Test func mrkdwnEscapesExactlyThreeCharacters() {
        #expect(SlackRenderer.escape("<!here> & <@U1> *b*") == "&lt;!here&gt; &amp; &lt;@U1&gt; *b*")
    }

    @Test func linkBecomesAButton() {
        let payload = renderer.render(Fixtures.batch([Fixtures.alert(link: "https://logs.example.com/q?id=42")]))
        guard case .array(let blocks)? = payload.body["blocks"] else { Issue.record("blocks"); return }
        let actions = blocks.first { $0["type"]?.stringValue == "actions" }
        #expect(actions?["elements"] == [["type": "button", "text": ["type": "plain_text", "text": "Open"],
                                         "url": "https://logs.example.com/q?id=42", "style": "danger"]])
    }
}

@Suite struct TextLimitTests {
    @Test func neverSplitsACharacter() {
        let (out, cut) = TextLimit.truncate("ab👍🏽" + String(repeating: "c", count: 30), to: 3 + TextLimit.length(TextLimit.cutMarker))
        #expect(out == "ab" + TextLimit.cutMarker)
        #expect(cut)
        #expect(out.hasPrefix("ab"))
        #expect(!out.unicodeScalars.contains { $0.value == 0xFFFD })
    }

    @Test func shortTextIsUntouched() {
        #expect(TextLimit.truncate("hello", to: 5) == ("hello", false))
    }
}
