/// One shape of credential in log text, as a PCRE2 pattern whose match (after `\K`, if any)
/// is exactly the secret: what comes before it (`password=`, `Bearer `, `-----BEGIN … KEY-----`)
/// stays, so a message still says what was there.
///
/// Sources: gitleaks' rules, trufflehog's detectors and detect-secrets' keyword plugin,
/// widened where they miss shapes seen in logs: an empty URL user (`redis://:pw@host`),
/// versioned and `ptb.`/`canary.` Discord webhook paths, keys glued to a prefix
/// (`MYSQL_ROOT_PASSWORD`, `PGPASSWORD`, `dbPassword`), short passwords an entropy threshold
/// would let through (`hunter2`).
struct SecretPattern: Sendable {
    /// What decides that a match is a secret beyond the pattern itself.
    enum Check: Sendable {
        /// The pattern is enough.
        case none
        /// `key=value`: the key's words and the value are judged by `SecretKeyName`
        /// (the pattern names the key group `key`).
        case keyValue
    }

    var name: String
    var regex: String
    var check: Check = .none

    /// Structured shapes first in spirit; the order does not matter for the result, since
    /// every match of every pattern is collected before anything is replaced.
    static let all: [SecretPattern] = blocks + urls + headers + commandLines + tokens + [keyValue]

    static let blocks = [
        // The BEGIN line stays; the key up to its END line (or the end of the text) goes. A
        // key quoted in JSON has `\n` in it, which `[\s\S]` spans like anything else.
        SecretPattern(name: "private-key", regex: #"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----\K[\s\S]*?(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|\z)"#),
    ]

    static let urls = [
        // scheme://user:password@host, the user possibly empty and the password possibly
        // holding '@' (the host is after the last one).
        SecretPattern(name: "url-password", regex: #"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^:/?#@\s"'<>]*:\K[^/?#\s"'<>]+(?=@[^@/?#\s"'<>]+(?:[/?#\s"'<>]|$))"#),
        SecretPattern(name: "discord-webhook", regex: #"(?i)\b(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/(?:v\d{1,2}/)?webhooks/\d+/\K[\w.-]{10,}"#),
        SecretPattern(name: "slack-webhook", regex: #"(?i)\bhooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/\K[\w/+-]{10,}"#),
        SecretPattern(name: "teams-webhook", regex: #"(?i)\b[a-z0-9-]+\.webhook\.office\.com/webhookb2/\K[^\s"'<>]+"#),
    ]

    /// A token word worth cutting: digits, `+/=`, or an upper-case letter after the first
    /// character (so "Basic authentication failed" keeps its words).
    static let tokenShape = #"(?=[A-Za-z0-9._~+/-]*?(?:[0-9+/=]|(?<=[A-Za-z0-9._~+/-])[A-Z]))"#

    static let headers = [
        SecretPattern(name: "authorization", regex: #"(?i)\b(?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|digest|negotiate|ntlm|apikey|aws4-hmac-sha256)[ \t]+)?\K[^\s"',;}\]]+"#),
        // A header on a line of its own: everything after the scheme (Digest has spaces).
        SecretPattern(name: "authorization-line", regex: #"(?im)^[ \t]*(?:proxy-)?authorization[ \t]*:[ \t]*(?:(?:bearer|basic|token|digest|negotiate|ntlm)[ \t]+)?\K[^\r\n]+"#),
        SecretPattern(name: "bearer", regex: #"(?i)\b(?:bearer|basic)[ \t]+\K"# + tokenShape + #"[A-Za-z0-9._~+/-]{8,}=*(?![\w.~+/=-])"#),
        SecretPattern(name: "token-word", regex: #"(?i)\btoken[ \t]+\K"# + tokenShape + #"[A-Za-z0-9._~+/-]{16,}=*(?![\w.~+/=-])"#),
        // Cookie and Set-Cookie: the whole value (several cookies, attributes).
        SecretPattern(name: "cookie", regex: #"(?i)\b(?:set-)?cookie["']?[ \t]*[:=][ \t]*["']?\K[^\r\n"']+"#),
    ]

    static let commandLines = [
        // mysql -pSECRET (no space: `-p alone` prompts); -P is the port.
        SecretPattern(name: "mysql-password", regex: #"\b(?i:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mariadb|mariadb-dump|mariadb-admin)\b[^\n]*?\s-p\K(?:'[^']*'|"[^"]*"|[^\s'"]+)"#),
        SecretPattern(name: "option-secret", regex: #"(?i)(?<!\S)--?(?:[a-z0-9]+-)*(?:password|passwd|pass|pwd|secret|token|api-?key|access-?key|private-?key|client-?secret|auth-token)(?:=|[ \t]+)\K(?:'[^']*'|"(?:[^"\\]|\\.)*"|[^\s'"]+)"#),
        SecretPattern(name: "sshpass", regex: #"\bsshpass\b[^\n]*?\s-p[ \t]*\K(?:'[^']*'|"[^"]*"|\S+)"#),
        SecretPattern(name: "curl-user", regex: #"\bcurl\b[^\n]*?\s(?:-u|--user)(?:[ \t]+|=)?(?:'[^':]*:\K[^']+|"[^":]*:\K[^"]+|[^\s:'"]*:\K\S+)"#),
        SecretPattern(name: "htpasswd", regex: #"\bhtpasswd\b[^\n]*?\s-[A-Za-z]*b[A-Za-z]*[ \t]+(?:-\S+[ \t]+)*\S+[ \t]+\S+[ \t]+\K\S+"#),
        // Azure storage / Service Bus connection strings and SAS: up to the next ';'.
        SecretPattern(name: "azure-connection", regex: #"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|SharedSecret)[ \t]*=[ \t]*\K(?:"[^"]*"|'[^']*'|[^;"'\s]+)"#),
    ]

    static let tokens = [
        SecretPattern(name: "aws-access-key", regex: #"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"#),
        SecretPattern(name: "github-token", regex: #"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,})\b"#),
        SecretPattern(name: "gitlab-token", regex: #"\bgl(?:pat|dt|ptt|rt|cbt|ft|imt|agent|oas|soat|ffct)-[\w.-]{20,}"#),
        SecretPattern(name: "slack-token", regex: #"\b(?:xox[abposre]|xoxe\.xox[bp]|xapp)-[A-Za-z0-9.-]{10,}"#),
        SecretPattern(name: "stripe-key", regex: #"\b(?:(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99}|whsec_[A-Za-z0-9]{20,})\b"#),
        SecretPattern(name: "openai-key", regex: #"\bsk-(?:(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,})"#),
        SecretPattern(name: "anthropic-key", regex: #"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{32,}"#),
        SecretPattern(name: "sendgrid-key", regex: #"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}\b"#),
        SecretPattern(name: "npm-token", regex: #"\bnpm_[A-Za-z0-9]{36}\b"#),
        SecretPattern(name: "pypi-token", regex: #"\bpypi-AgE[A-Za-z0-9_-]{50,}"#),
        SecretPattern(name: "google-api-key", regex: #"\bAIza[0-9A-Za-z_-]{35}"#),
        SecretPattern(name: "twilio-key", regex: #"\bSK[0-9a-fA-F]{32}\b"#),
        SecretPattern(name: "azure-ad-secret", regex: #"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"#),
        SecretPattern(name: "jwt", regex: #"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"#),
    ]

    /// `key=value`, `key: value`, `"key": "value"`, `key = 'value'` (and JSON escaped inside
    /// a JSON string) where the key holds a secret word anywhere (`MYSQL_ROOT_PASSWORD`,
    /// `dbPassword`, `x-api-key`): the key is judged by `SecretKeyName`. A ':' needs a space
    /// or a quote after it, so `pam_unix(passwd:chauthtok)` is no assignment; a '=' with a
    /// space after it needs one before it too, so `password= user=bob` takes no value.
    static let keyValue = SecretPattern(
        name: "key-value",
        regex: #"(?<![A-Za-z0-9_.\-\\])(?:\\?["'])?(?=[A-Za-z0-9_.-]{0,40}?(?i:pass|pwd|secret|token|key|credential|session|sig))"#
            + #"(?<key>[A-Za-z0-9_.-]{1,80})(?:\\?["'])?"#
            + #"(?:[ \t]+(?:=>|:=|=)[ \t]+|=>|:=|=|:[ \t]+|(?<=["'])[ \t]*:[ \t]*|:(?=\\?["']))"#
            + #"(?:\\"\K(?:[^"\\\r\n]|\\[^"\r\n])*(?=\\")|"\K(?:[^"\\\r\n]|\\.)*(?=")|'\K[^'\r\n]*(?=')|\K[^\s"'&,;}<>]+)"#,
        check: .keyValue)
}
