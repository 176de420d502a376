import CrierCore
import Foundation
import Testing

/// Every secret shape the hostile review found reaching payloads, history and crier.db, by
/// family: what must be cut (the secret never survives, the key stays readable), and the
/// near misses that must stay exactly as logged.
@Suite struct LogTextRedactorFamilyTests {
    let r = LogTextRedactor()

    static let webhookToken = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz01"

    /// (family, input, secret that must be gone, text that must remain)
    static let secrets: [(family: String, input: String, secret: String, kept: String)] = [
        // Environment-style keys: a `\b` before the key fails after `_` or a letter.
        ("env", "starting with DB_PASSWORD=hunter2 and more", "hunter2", "DB_PASSWORD="),
        ("env", "PGPASSWORD=pg-s3cret psql -h db -U app", "pg-s3cret", "psql -h db -U app"),
        ("env", "MYSQL_ROOT_PASSWORD=r00tpw docker-entrypoint", "r00tpw", "MYSQL_ROOT_PASSWORD="),
        ("env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY region=eu-west-1", "wJalrXUtnFEMI", "region=eu-west-1"),
        ("env", "export REDIS_PASS=short1", "short1", "REDIS_PASS="),
        ("camelCase", "config dbPassword=s3cret! loaded", "s3cret!", "dbPassword="),
        ("camelCase", #"{"dbPassword":"s3cret","user":"app"}"#, "s3cret", #""user":"app""#),
        ("camelCase", "apiKey: abcd1234efgh", "abcd1234efgh", "apiKey: "),
        ("quoted", #"connect(password="my secret pass", host=db)"#, "my secret pass", "host=db"),
        ("quoted", "password='a b c' user=bob", "a b c", "user=bob"),
        ("json", #"{"password": "hunter2 x", "user": "bob"}"#, "hunter2 x", #""user": "bob""#),
        ("json", #"payload={\"password\": \"esc4ped\", \"n\": 1}"#, "esc4ped", #"\"n\": 1"#),
        ("json", #"{"client_secret":"cs-123456","grant_type":"x"}"#, "cs-123456", "grant_type"),
        ("query", "GET /reset?token=abc123def&next=/home HTTP/1.1", "abc123def", "next=/home HTTP/1.1"),
        // URLs with credentials, including an empty user and an @ in the password.
        ("url", "cannot connect to redis://:pw0rd@cache:6379/0", "pw0rd", "@cache:6379/0"),
        ("url", "amqp://user:p@ss@rabbit:5672// refused", "p@ss", "@rabbit:5672//"),
        ("url", "postgresql://app:s3cr3t@db.internal/app?sslmode=require", "s3cr3t", "app:"),
        // Discord webhooks: versioned paths, old and test hosts.
        ("discord", "POST https://discord.com/api/v10/webhooks/123456789012345678/\(webhookToken) 404", webhookToken, "/webhooks/123456789012345678/"),
        ("discord", "https://discordapp.com/api/webhooks/12345678901234567/\(webhookToken)", webhookToken, "discordapp.com"),
        ("discord", "https://ptb.discord.com/api/v9/webhooks/123456789012345678/\(webhookToken)?wait=true", webhookToken, "ptb.discord.com"),
        ("discord", "https://canary.discord.com/api/webhooks/123456789012345678/\(webhookToken)", webhookToken, "canary"),
        // HTTP headers.
        ("cookie", "request headers: Cookie: sessionid=abc123def; csrftoken=xyz789", "abc123def", "Cookie: "),
        ("cookie", "Set-Cookie: token=t0k3nvalue; Path=/; HttpOnly", "t0k3nvalue", "Set-Cookie: "),
        ("header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", "Authorization: Basic "),
        ("header", "x-api-key: k3y-value-123", "k3y-value-123", "x-api-key: "),
        ("header", "Proxy-Authorization: Bearer proxytoken123456", "proxytoken123456", "Proxy-Authorization"),
        // Command lines.
        ("cli", "COMMAND=/usr/bin/mysql -uroot -pS3cr3t app", "S3cr3t", "-uroot -p"),
        ("cli", "mysqldump -h db -p'two words' app", "two words", "mysqldump -h db"),
        ("cli", "docker login --password hunter2 registry.example.com", "hunter2", "registry.example.com"),
        ("cli", "tool --password=abc123 --verbose", "abc123", "--verbose"),
        ("cli", "sshpass -p hunter2 ssh deploy@web1", "hunter2", "ssh deploy@web1"),
        ("cli", "curl -u admin:pa55word https://api.example.com/x", "pa55word", "https://api.example.com/x"),
        ("cli", "curl --user 'bob:b c' https://x", "b c", "curl --user"),
        // Azure connection strings and SAS.
        ("azure", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=abc123+/xyz==;EndpointSuffix=core.windows.net",
         "abc123+/xyz==", "EndpointSuffix=core.windows.net"),
        ("azure", "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=KeyValue123=", "KeyValue123=", "SharedAccessKeyName=Root"),
        ("azure", "SharedAccessSignature=sv=2020-08-04&ss=b&sig=AbCd%2Bef%3D&se=2030", "AbCd%2Bef%3D", "SharedAccessSignature="),
        ("azure", "GET https://acct.blob.core.windows.net/c/b?sv=2021-06-08&sig=Zm9vYmFy%3D&sp=r", "Zm9vYmFy%3D", "&sp=r"),
        // Token families (prefix-shaped).
        ("github", "clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789AB", "ghp_abcdefghij", "clone with "),
        ("github", "token gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 used", "gho_ABCDEF", " used"),
        ("github", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd", "github_pat_11ABC", ""),
        ("gitlab", "using glpat-xxxxXXXXyyyyYYYY1234 for ci", "glpat-xxxxXXXX", " for ci"),
        ("slack", "slack client xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx failed", "xoxb-1234", " failed"),
        ("slack", "xoxp-1234567890-1234567890-1234567890-abcdef0123456789abcdef0123456789", "xoxp-", ""),
        ("slack", "app token xapp-1-A0123ABCDEF-1234567890123-abcdef0123456789", "xapp-1-A0123", "app token "),
        ("stripe", "stripe error for sk_live_51HabcdEFGHijklMNOP", "sk_live_51Habcd", "stripe error for "),
        ("stripe", "rk_test_abcdefghij1234567890 and whsec_abcdefghijklmnopqrstuvwx", "whsec_abcdef", " and "),
        ("openai", "OPENAI key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ_-xyz rejected", "sk-proj-abcdef", " rejected"),
        ("openai", "sk-abcdefghijklmnopqrstT3BlbkFJuvwxyzABCDEFGHIJKL01", "T3BlbkFJ", ""),
        ("anthropic", "x-key sk-ant-api03-" + String(repeating: "Ab3_-", count: 19) + "AA end", "sk-ant-api03-Ab3", " end"),
        ("sendgrid", "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg sent", "SG.abcdefghij", " sent"),
        ("npm", "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghij", "registry.npmjs.org"),
        ("npm", "publish with npm_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ok", "npm_ABCDEFG", " ok"),
        ("pypi", "twine pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejAxMjM0NTY3ODk", "pypi-AgEIcHlw", "twine "),
        ("aws", "using key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", "ASIAY34FZ", "using key "),
        ("jwt", "bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV expired", "SflKxwRJ", " expired"),
        ("pem", "key=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY----- loaded", "MIIEvQIBAD", " loaded"),
        ("pem", #"{"private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA75\n-----END RSA PRIVATE KEY-----\n", "x": 1}"#, "MIIEpAIBAAK", #""x": 1"#),
    ]

    @Test(arguments: LogTextRedactorFamilyTests.secrets.indices)
    func secretIsCutAndContextKept(_ i: Int) {
        let c = Self.secrets[i]
        let out = r.redact(c.input)
        #expect(!out.contains(c.secret), "\(c.family): \(out)")
        #expect(out.contains(LogTextRedactor.mask), "\(c.family): \(out)")
        #expect(c.kept.isEmpty || out.contains(c.kept), "\(c.family): '\(c.kept)' lost in \(out)")
    }

    /// Lines that look like secrets to a careless pattern and are not.
    static let nearMisses: [String] = [
        "password_reset_url=/reset",
        "passwd:         files systemd",
        "group:          files [SUCCESS=merge] systemd",
        "Failed password for root from 203.0.113.7 port 22 ssh2",
        "Failed password for invalid user admin from 198.51.100.4 port 4242 ssh2",
        "pam_unix(passwd:chauthtok): password changed for bob",
        "sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/passwd",
        "OLDPWD=/tmp PWD=/srv/app pwd=/srv/deploy",
        "max_tokens=4096 tokens_used=12 passes=3 bypass=on",
        "token_type=Bearer expires_in=3600",
        "secretName=my-secret password_length=12 passwordless=true",
        "tool --password-file /run/secrets/db --token-file=/run/t",
        "mysql -P3306 -h db -u app",
        "session=<aB3dE5fG7hI9> tokenizer=bert",
        "fetch https://example.com/a:b@c/d failed",
        "https://discord.com/channels/123456789012345678/223456789012345678",
        "Accepted publickey for deploy from 10.0.0.1 port 51234 ssh2: RSA SHA256:abcdefgh",
        "the token expired; password: (none)",
        "password= user=bob",
        "password=******** DB_PASSWORD=${DB_PASSWORD} api_key=<your-key> token={{token}}",
        "Enter the password for the vault",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7",
    ]

    /// Redacting what is already redacted changes nothing.
    @Test func redactingTwiceChangesNothing() {
        for c in Self.secrets {
            let once = r.redact(c.input)
            #expect(r.redact(once) == once, "\(c.family): \(once)")
        }
    }

    @Test(arguments: LogTextRedactorFamilyTests.nearMisses)
    func nearMissIsLeftAlone(_ line: String) {
        #expect(r.redact(line) == line)
    }

    /// The redactor runs on every kept sample; a storm keeps many. A pattern that backtracks
    /// badly shows here as a rate orders of magnitude below the bound (a debug build does
    /// tens of thousands of lines a second).
    @Test func redactsThousandsOfLinesQuickly() {
        var lines: [String] = []
        for i in 0..<4_000 {
            switch i % 8 {
            case 0: lines.append("Failed password for invalid user admin\(i) from 203.0.113.\(i % 250) port \(40_000 + i) ssh2")
            case 1: lines.append("Task app.tasks.render[\(i)] raised unexpected: ValueError('bad frame \(i)')")
            case 2: lines.append(#"{"level":"error","msg":"db error","dsn":"postgres://app:pw\#(i)@db/app","password":"x\#(i)"}"#)
            case 3: lines.append("GET /api/v1/items?page=\(i)&token=abc\(i)def HTTP/1.1 200 512 \"-\" \"curl/8.0\"")
            case 4: lines.append(String(repeating: "a=b:c ", count: 300))  // many separators, no key
            case 5: lines.append(String(repeating: "password", count: 200))  // keys without values
            case 6: lines.append("-----BEGIN PRIVATE KEY-----" + String(repeating: "QUJD", count: 500))  // never ends
            default: lines.append(String(repeating: "x", count: 2_000) + "@" + String(repeating: ":", count: 500))
            }
        }
        let start = ContinuousClock.now
        var total = 0
        for line in lines { total += r.redact(line).utf8.count }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(lines.count) / max(seconds, 1e-9)
        print("LogTextRedactor: \(lines.count) lines (\(total) bytes out) in \(seconds) s = \(Int(rate)) lines/s")
        #expect(rate > 2_000, "\(Int(rate)) lines/s")
    }
}
