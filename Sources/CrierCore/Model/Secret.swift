/// A credential from config (webhook URL, token, password). Its description never shows
/// the value, so string interpolation into logs, errors or `crier check` output is safe.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The value itself; read it only where it is put on the wire.
    public let exposedValue: String

    public init(_ value: String) { exposedValue = value }

    public var description: String { Secret.redact(exposedValue) }
    public var debugDescription: String { description }

    public var isEmpty: Bool { exposedValue.isEmpty }

    /// Keeps only what identifies a destination without granting access:
    /// `https://discord.com/api/webhooks/123/abc…` becomes `https://discord.com/…`.
    public static func redact(_ value: String) -> String {
        let chars = Array(value.utf8)
        if let i = chars.firstIndex(of: UInt8(ascii: ":")), i > 0, chars[i...].starts(with: Array("://".utf8)),
           chars[..<i].allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }) {
            let scheme = String(decoding: chars[..<i], as: UTF8.self)
            let authority = chars[(i + 3)...].prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
            // Drop user:password@ from the authority.
            let host = authority.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false).last ?? []
            return "\(scheme)://\(String(decoding: host, as: UTF8.self))/…(redacted)"
        }
        return value.isEmpty ? "(empty)" : "…(redacted)"
    }
}

/// Removes known credentials from text that came from elsewhere: a server's error body or a
/// library's error message can quote the URL or token it was given (a proxy echoing the
/// request line, an SMTP server repeating the login). What is stored or logged goes through
/// this first.
public struct SecretScrubber: Sendable {
    /// Longest first, so a full URL is replaced before the token inside it.
    private let needles: [String]

    public init(_ secrets: [Secret]) {
        var needles = Set<String>()
        for secret in secrets where !secret.isEmpty {
            let value = secret.exposedValue
            needles.insert(value)
            // A URL's path, query and user:password, and each long segment of them: tokens
            // such as Discord's and Slack's live there and are echoed without the host.
            if let schemeEnd = value.firstRange(of: "://") {
                let rest = value[schemeEnd.upperBound...]
                let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
                let authority = rest[..<authorityEnd]
                if let at = authority.lastIndex(of: "@") {
                    let userinfo = String(authority[..<at])
                    needles.insert(userinfo)
                    // As it travels in `Authorization: Basic`, should a server quote that.
                    needles.insert(Base64.encode(Array(userinfo.utf8)))
                }
                let tail = rest[authorityEnd...]
                if tail.count > 1 { needles.insert(String(tail)) }
                for segment in tail.split(whereSeparator: { "/?&=#:@".contains($0) }) where segment.count >= 12 {
                    needles.insert(String(segment))
                }
            } else if value.count >= 4 {
                needles.insert(value)
            }
        }
        self.needles = needles.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    public func scrub(_ text: String) -> String {
        var text = text
        for needle in needles where text.contains(needle) {
            text = text.replacing(needle, with: "…(redacted)")
        }
        return text
    }
}
