/// Cuts credentials out of log text before it is put in a message: a failing job that logs
/// its database URL or environment, a request log with `?token=` or a `Cookie:` header, a
/// command line with `-pSECRET`, a cloud key. What is kept says where the secret was
/// (`password=[redacted]`), so the message still makes sense. Applied to every capture,
/// field, message and traceback that an alert shows; not to the matching itself. (Secrets
/// crier was configured with are `KnownSecretScrubber`'s job.)
///
/// Every pattern of `SecretPattern.all` runs over the text; the spans they mark are merged
/// and each replaced once, so overlapping shapes (a JWT after `Bearer`, a token inside a
/// URL) never leave a piece behind. A line so pathological that a pattern gives up is
/// masked whole: a redactor fails closed.
///
/// Not thread-safe (it owns PCRE2 match data): one per pipeline.
public final class LogTextRedactor {
    public static let mask = "[redacted]"

    /// Each pattern by name; its match (after `\K`) is the secret.
    public static var patterns: [(name: String, regex: String)] { SecretPattern.all.map { ($0.name, $0.regex) } }

    private let rules: [(pattern: SecretPattern, matcher: RegexMatcher, keyGroup: Int?)]

    public init() {
        let scratch = RegexScratch(matchLimit: 1_000_000)
        rules = SecretPattern.all.map { pattern in
            let regex = try! Regex(pattern.regex)
            return (pattern, RegexMatcher(regex, scratch: scratch), regex.captureNames.first { $0.name == "key" }?.group)
        }
    }

    /// `text` with every credential replaced by `[redacted]`.
    public func redact(_ text: String) -> String {
        // Nothing shorter holds a key, a separator and a value.
        guard text.utf8.count >= 6 else { return text }
        var text = text
        var spans: [Range<Int>] = []
        var gaveUp = false
        text.withUTF8 { utf8 in
            let buffer = UnsafeRawBufferPointer(utf8)
            let present = ByteSet(buffer)
            for rule in rules {
                var offset = 0
                while offset <= buffer.count {
                    let result = rule.matcher.match(buffer, from: offset, present: present)
                    if result == .limitExceeded { gaveUp = true }
                    guard result == .match, let span = rule.matcher.range(ofGroup: 0) else { break }
                    if !span.isEmpty && accepts(rule, span: span, in: buffer) { spans.append(span) }
                    offset = span.upperBound > offset ? span.upperBound : offset + 1
                }
            }
        }
        if gaveUp { return LogTextRedactor.mask }
        if spans.isEmpty { return text }
        spans.sort { $0.lowerBound < $1.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let bytes = Array(text.utf8)
        var copied = 0
        var i = 0
        while i < spans.count {
            var merged = spans[i]
            while i + 1 < spans.count, spans[i + 1].lowerBound <= merged.upperBound {
                merged = merged.lowerBound..<max(merged.upperBound, spans[i + 1].upperBound)
                i += 1
            }
            out.append(contentsOf: bytes[copied..<merged.lowerBound])
            out.append(contentsOf: LogTextRedactor.mask.utf8)
            copied = merged.upperBound
            i += 1
        }
        out.append(contentsOf: bytes[copied...])
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a match is a secret: always, but for `key=value`, which is judged by its key
    /// and value (`SecretKeyName`).
    private func accepts(_ rule: (pattern: SecretPattern, matcher: RegexMatcher, keyGroup: Int?), span: Range<Int>,
                         in buffer: UnsafeRawBufferPointer) -> Bool {
        // Already ours (a record redacted twice stays the same).
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[span])
        if bytes.starts(with: LogTextRedactor.mask.utf8.dropLast()) { return false }
        switch rule.pattern.check {
        case .none: return true
        case .keyValue:
            guard let group = rule.keyGroup, let key = rule.matcher.bytes(ofGroup: group) else { return false }
            let value = String(decoding: bytes, as: UTF8.self)
            return SecretKeyName.isSecret(key: String(decoding: key, as: UTF8.self), value: value[...])
        }
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
