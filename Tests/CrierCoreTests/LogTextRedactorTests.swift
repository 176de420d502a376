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
        ("authorization-line", "Authorization: Digest username=\"bob\", response=\"6629fae49393a053\"",
         "Authorization: Digest [redacted]"),
        ("bearer", "retrying with bearer Zm9vYmFyYmF6cXV4 after 401", "retrying with bearer [redacted] after 401"),
        ("token-word", "refresh failed for token 7f3a9c2e41b84d0f9e6a", "refresh failed for token [redacted]"),
        ("cookie", "Set-Cookie: sid=abc123; Path=/; HttpOnly", "Set-Cookie: [redacted]"),
        ("teams-webhook", "POST https://contoso.webhook.office.com/webhookb2/1234-abcd@5678/IncomingWebhook/abc/def failed",
         "POST https://contoso.webhook.office.com/webhookb2/[redacted] failed"),
        ("mysql-password", "COMMAND=/usr/bin/mysql -uroot -pS3cr3t app", "COMMAND=/usr/bin/mysql -uroot -p[redacted] app"),
        ("option-secret", "docker login --password hunter2 registry.example.com", "docker login --password [redacted] registry.example.com"),
        ("sshpass", "sshpass -p hunter2 ssh deploy@web1", "sshpass -p [redacted] ssh deploy@web1"),
        ("curl-user", "curl -u admin:pa55word https://api.example.com/x", "curl -u admin:[redacted] https://api.example.com/x"),
        ("htpasswd", "htpasswd -bc /etc/nginx/.htpasswd alice s3cret", "htpasswd -bc /etc/nginx/.htpasswd alice [redacted]"),
        ("azure-connection", "AccountName=acct;AccountKey=abc123+/xyz==;EndpointSuffix=core.windows.net",
         "AccountName=acct;AccountKey=[redacted];EndpointSuffix=core.windows.net"),
        ("gitlab-token", "using glpat-xxxxXXXXyyyyYYYY1234 for ci", "using [redacted] for ci"),
        ("openai-key", "key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ rejected", "key [redacted] rejected"),
        ("anthropic-key", "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEF rejected", "key [redacted] rejected"),
        ("sendgrid-key", "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg sent", "[redacted] sent"),
        ("npm-token", "publish with npm_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ok", "publish with [redacted] ok"),
        ("pypi-token", "twine pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejAx done", "twine [redacted] done"),
        ("twilio-key", "twilio SK0123456789abcdef0123456789abcdef denied", "twilio [redacted] denied"),
        ("azure-ad-secret", "client secret abc8Q~abcdefghijklmnopqrstuvwxyz0123456 expired", "client secret [redacted] expired"),
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
