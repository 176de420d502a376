import CrierCore
import Testing

@Suite struct LogTextRedactorTests {
    let r = LogTextRedactor()

    /// One case per pattern in `LogTextRedactor.patterns`, by name.
    static let cases: [(pattern: String, input: String, expected: String)] = [
        ("url-password", "cannot connect to postgres://app:s3cr3t-pw@db.internal:5432/app: timeout",
         "cannot connect to postgres://app:[redacted]@db.internal:5432/app: timeout"),
        ("authorization", "request failed: Authorization: Bearer abc.def-1234567890 status=401",
         "request failed: Authorization: Bearer [redacted] status=401"),
        ("key-value", #"GET /v1/items?api_key=AbC123xyz&page=2 {"password": "hunter22", "user": "bob"} token=tkn_9f8e7d"#,
         #"GET /v1/items?api_key=[redacted]&page=2 {"password": "[redacted]", "user": "bob"} token=[redacted]"#),
        ("discord-webhook", "POST https://discord.com/api/webhooks/1234567890/AbCdEfGhIjKlMnOp_qr-st failed",
         "POST https://discord.com/api/webhooks/1234567890/[redacted] failed"),
        ("slack-webhook", "posting to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
         "posting to https://hooks.slack.com/services/[redacted]"),
        ("aws-access-key", "using key AKIAIOSFODNN7EXAMPLE for s3", "using key [redacted] for s3"),
        ("github-token", "git clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789AB", "git clone with [redacted]"),
        ("slack-token", "slack client xoxb-1234567890-abcdefghij failed", "slack client [redacted] failed"),
        ("stripe-key", "stripe error for sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe error for [redacted]"),
        ("google-api-key", "maps key AIzaSyA-1234567890abcdefghijklmnopqrstu rejected", "maps key [redacted] rejected"),
        ("jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV expired",
         "token [redacted] expired"),
        ("private-key", "loaded -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY----- ok",
         "loaded -----BEGIN RSA PRIVATE KEY-----[redacted] ok"),
    ]

    @Test func everyPatternHasACaseAndRedactsIt() {
        #expect(Set(Self.cases.map(\.pattern)) == Set(LogTextRedactor.patterns.map(\.name)), "a case per pattern")
        for c in Self.cases { #expect(r.redact(c.input) == c.expected, "\(c.pattern)") }
    }

    @Test func ordinaryLogTextIsLeftAlone() {
        for text in [
            "Failed password for root from 203.0.113.7 port 22 ssh2",
            "Task app.tasks.render[6f1c] raised unexpected: ValueError('bad frame')",
            "upstream timed out (110: Connection timed out) while reading response header from upstream, upstream: \"http://127.0.0.1:8000/x\"",
            "max_tokens=4096 tokens_used=12 passes=3 bypass=on",
            "Enter the password for the vault",
        ] {
            #expect(r.redact(text) == text, "\(text)")
        }
    }

    @Test func recordsAndCapturesAreRedactedEverywhereAnAlertLooks() {
        var record = LogRecord(source: "t", position: .replay(line: 1), timestamp: nil, format: .json,
                               message: "db error", fields: [RecordField("dsn", "mysql://root:toor@db/app")],
                               traceback: Traceback(text: "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n"
                                   + "    connect(password='hunter22')\nValueError: password=hunter22"))
        record = r.redact(record)
        #expect(record.field("dsn") == "mysql://root:[redacted]@db/app")
        #expect(record.traceback?.text.contains("hunter22") == false)
        #expect(record.traceback?.exceptionMessage == "password=[redacted]")
        #expect(r.redact([Capture("error", "token=abcdef123")]) == [Capture("error", "token=[redacted]")])
    }
}
