/// Cuts credentials out of log text before it is put in a message: a failing job that logs
/// its database URL, a request log with `?token=`, an `Authorization: Bearer` header, a
/// cloud key. What is kept says where the secret was (`password=[redacted]`), so the
/// message still makes sense. Applied to every capture, field, message and traceback that
/// an alert shows; not to the matching itself.
///
/// Not thread-safe (it owns PCRE2 match data): one per pipeline.
public final class LogTextRedactor {
    public static let mask = "[redacted]"

    /// Each pattern: group 1 is kept, the rest of the match is replaced.
    public static let patterns: [(name: String, regex: String)] = [
        // scheme://user:password@host
        ("url-password", #"(\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^/\s:@]{1,256}:)[^@\s/]{1,256}(?=@)"#),
        // Authorization: Bearer abc…, Basic dXNlcjpwYXNz
        ("authorization", #"(?i)(\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}"#),
        // password=…, "api_key": "…", token: …, secret=…
        ("key-value", #"(?i)(\b(?:api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|secret[_-]?access[_-]?key|secret[_-]?key|client[_-]?secret|"#
            + #"(?:access|refresh|auth|id|session|csrf|api)?[_-]?token|passw(?:or)?d|pwd|pass|secret|private[_-]?key|credentials?|"#
            + #"signature|sig)["']?\s{0,3}[:=]\s{0,3}["']?)[^\s"'&,;}<>]{3,}"#),
        // Discord and Slack webhook URLs: the token part.
        ("discord-webhook", #"(\bdiscord(?:app)?\.com/api/webhooks/\d+/)[\w-]{10,}"#),
        ("slack-webhook", #"(\bhooks\.slack\.com/(?:services|workflows|triggers)/)[\w/-]{10,}"#),
        // Well-known token shapes, replaced whole.
        ("aws-access-key", #"()\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"#),
        ("github-token", #"()\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"#),
        ("slack-token", #"()\bxox[abposr]-[A-Za-z0-9-]{10,}"#),
        ("stripe-key", #"()\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}"#),
        ("google-api-key", #"()\bAIza[0-9A-Za-z_-]{35}"#),
        ("jwt", #"()\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"#),
        ("private-key", #"(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\z)"#),
    ]

    private let matchers: [RegexMatcher]

    public init() {
        let scratch = RegexScratch(matchLimit: 1_000_000)
        matchers = LogTextRedactor.patterns.map { RegexMatcher(try! Regex($0.regex), scratch: scratch) }
    }

    /// `text` with every credential replaced by `[redacted]`.
    public func redact(_ text: String) -> String {
        // Cheap exit for the common case: no character any pattern needs.
        guard text.utf8.count >= 8 else { return text }
        var bytes = Array(text.utf8)
        var changed = false
        for matcher in matchers {
            var out: [UInt8] = []
            var copied = 0
            var offset = 0
            var any = false
            bytes.withUnsafeBytes { buffer in
                while offset <= buffer.count, matcher.match(buffer, from: offset) == .match, let whole = matcher.range(ofGroup: 0) {
                    let kept = matcher.range(ofGroup: 1)?.upperBound ?? whole.lowerBound
                    out.append(contentsOf: buffer[copied..<kept])
                    out.append(contentsOf: LogTextRedactor.mask.utf8)
                    copied = whole.upperBound
                    offset = max(whole.upperBound, whole.lowerBound + 1)
                    any = true
                }
                if any { out.append(contentsOf: buffer[copied...]) }
            }
            if any {
                bytes = out
                changed = true
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    /// A record with its message, fields and traceback redacted.
    public func redact(_ record: LogRecord) -> LogRecord {
        var r = record
        r.message = redact(r.message)
        r.fields = r.fields.map { RecordField($0.name, redact($0.value)) }
        if var tb = r.traceback {
            tb.text = redact(tb.text)
            tb.exceptionMessage = tb.exceptionMessage.map(redact)
            r.traceback = tb
        }
        return r
    }

    public func redact(_ captures: [Capture]) -> [Capture] {
        captures.map { Capture($0.name, redact($0.value)) }
    }
}

extension LogTextRedactor {
    public func redact(_ labels: [Label]) -> [Label] { labels.map { Label($0.name, redact($0.value)) } }

    public func redact(_ key: OpenKey) -> OpenKey {
        var k = key
        k.record = redact(k.record)
        k.captures = redact(k.captures)
        return k
    }
}
