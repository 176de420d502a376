import CrierCore
import CrierNotifiers
import CrierStore
import CrierTestSupport
import Foundation
import Testing

@testable import CrierRuntime
import CrierPlatform

/// What `/metrics`, `/api/v1/status` and `/api/v1/history` say after real attempts against a
/// loopback server, and that none of it carries a credential, for every kind of notifier.
@Suite struct TelemetryTests {
    /// Every notifier fails once against a server (or SMTP server) that quotes the request back.
    @Test func attemptsQueueAndBreakerAreExportedWithoutCredentials() async throws {
        let fixture = try CredentialFixture { r in
            r.path.contains("/api/webhooks/2/") ? .respond(status: 404, body: #"{"message": "Unknown Webhook", "code": 10015}"#) : nil
        }
        let h = try DeliveryHarness()
        let loaded = try ConfigLoader().load(text: fixture.notifiersYAML(h.dir) + """

              - {name: gone, type: discord, webhook_url: "\(fixture.server.url)/api/webhooks/2/\(CredentialFixture.secrets[0])"}

            """, origin: "test.yaml")
        let telemetry = Telemetry()
        let (attempts, log) = AsyncStream<String>.makeStream()
        for config in loaded.config.notifiers {
            let notifier = Notifiers.make(config)
            try h.enqueue([h.batch(group: 1)], for: notifier)
            // One attempt through libcurl, on manual time: then it waits for its retry (or is disabled).
            let delivery = try h.delivery(notifier, make: { CurlTransport() }, telemetry: telemetry, progress: {
                if case .attempted = $0 { log.yield(config.name) }
            })
            let task = Task { _ = try? await delivery.run() }
            _ = await h.clock.sleepers()
            await h.stop(delivery, task)
        }
        log.finish()
        var attempted: [String] = []
        for await name in attempts { attempted.append(name) }
        #expect(attempted == loaded.config.notifiers.map(\.name))

        let metrics = String(decoding: telemetry.scrape(store: h.store, notifiers: loaded.config.notifiers, now: WallClock.now()),
                             as: UTF8.self)
        for name in ["d", "s", "w", "am"] {
            #expect(metrics.contains(#"crier_delivery_attempts_total{notifier="\#(name)",result="retry",reason="server_error"} 1"#),
                    "\(name): \(metrics)")
            #expect(metrics.contains(#"crier_outbox_messages{notifier="\#(name)",status="retrying"} 1"#), "\(name)")
            #expect(metrics.contains(#"crier_notifier_breaker_state{notifier="\#(name)"} 0"#), "one failure leaves it closed")
        }
        #expect(metrics.contains(#"crier_delivery_attempts_total{notifier="gone",result="dead",reason="unknown_webhook"} 1"#))
        #expect(metrics.contains(#"crier_notifier_disabled{notifier="gone"} 1"#))
        #expect(metrics.contains(#"crier_notifier_disabled{notifier="d"} 0"#))
        #expect(metrics.contains(#"crier_outbox_messages{notifier="gone",status="dead"} 1"#))
        #expect(metrics.contains(#"crier_delivery_attempts_total{notifier="m",result="dead",reason="unauthorized"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"crier_delivery_duration_seconds_count{notifier="d"} 1"#))
        #expect(metrics.contains("# HELP crier_delivery_attempts_total"))

        let status = try StatusReport(config: loaded.config, store: h.store, now: WallClock.now()).json.encoded
        #expect(status.contains(#""name":"gone","type":"discord","waiting":0,"breaker":"closed""#), "\(status)")
        #expect(status.contains(#""disabled":"unknown_webhook: HTTP 404"#), "\(status)")
        #expect(status.contains(#""last_error":"HTTP 500: upstream failed for POST"#), "the server's answer is kept: \(status)")
        let history = JSONValue.array(try h.store.history(limit: 100).map(\.json)).encoded
        #expect(history.contains(#""status":"retrying""#) && history.contains(#""status":"dead""#), "\(history)")

        for secret in CredentialFixture.secrets {
            #expect(!metrics.contains(secret), "\(secret) in /metrics")
            #expect(!status.contains(secret), "\(secret) in /api/v1/status")
            #expect(!history.contains(secret), "\(secret) in /api/v1/history")
        }
    }

    /// The pipeline's counters reach the registry as differences, so a second report adds
    /// only what happened since the first.
    @Test func pipelineCountersAddWhatHappenedSinceTheLastReport() throws {
        let loaded = try ConfigLoader().load(text: "packs: [sshd]\n", origin: "test.yaml")
        let telemetry = Telemetry()
        let metrics = PipelineMetrics(telemetry: telemetry, rules: loaded.rules.rules)
        let index = try #require(loaded.rules.rules.firstIndex { $0.id == "sshd.failed_password" })
        var stats = MatchStats(ruleCount: loaded.rules.rules.count)
        stats.records = 10
        stats.matched = 3
        stats.ruleHits[index] = 3
        metrics.report(stats, malformed: 1, pipeline: PipelineStats())
        stats.records = 25
        stats.matched = 4
        stats.ruleHits[index] = 4
        var pipeline = PipelineStats()
        pipeline.unroutedBatches = 2
        metrics.report(stats, malformed: 1, pipeline: pipeline)
        metrics.message(notifier: "ops", reason: .burst)
        let text = String(decoding: telemetry.scrape(store: nil, notifiers: [], now: WallClock.now()), as: UTF8.self)
        #expect(text.contains("crier_records_total 25\n"), "\(text)")
        #expect(text.contains("crier_records_matched_total 4\n"))
        #expect(text.contains(#"crier_rule_matches_total{rule="sshd.failed_password"} 4"#))
        #expect(text.contains(#"crier_rule_matches_total{rule="sshd.invalid_user"} 0"#))
        #expect(text.contains("crier_malformed_lines_total 1\n"))
        #expect(text.contains("crier_batches_unrouted_total 2\n"))
        #expect(text.contains(#"crier_messages_total{notifier="ops",reason="burst"} 1"#))
    }
}
