import CrierCore
import CrierNotifiers
import CrierTestSupport
import Testing

@testable import CrierRuntime

/// The replay report and everything written through `OutputWriter` never hand a raw control
/// character from log text to the terminal, whichever notifier's message it shows.
@Suite struct HostileReportTests {
    @Test(arguments: Array(UInt64(0)..<60))
    func reportTextHoldsNoRawControl(_ seed: UInt64) {
        var g = HostileText(seed: seed)
        let batch = g.batch()
        let configs: [NotifierConfig] = [.console(ConsoleConfig()), .discord(DiscordConfig(name: "d", webhookURL: Secret("https://x"))),
                                         .slack(SlackConfig(name: "s", webhookURL: Secret("https://x")))]
        var problems: [String] = []
        let out = OutputWriter(capturing: ())
        for config in configs {
            var payload = Renderers.make(config).render(batch)
            payload.truncations.append(g.string(maxTokens: 3))  // a note quoting log text
            let text = ReplayReport.messageText(OutgoingMessage(batch: batch, notifier: config.name, kind: config.kind, payload: payload))
            problems += HostileTextChecks.terminal(text, "message text (\(config.kind))")
            out.line(text)
        }
        // Whatever a report line quotes, the writer shows it safely.
        out.line(g.string())
        out.write(g.string())
        problems += HostileTextChecks.terminal(out.capturedText, "written output")
        #expect(problems.isEmpty, Comment(rawValue: "seed \(seed): " + problems.prefix(4).joined(separator: "\n")))
    }
}
