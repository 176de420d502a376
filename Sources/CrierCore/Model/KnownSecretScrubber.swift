/// Removes known credentials from text that came from elsewhere: a server's error body or a
/// library's error message can quote the URL or token it was given (a proxy echoing the
/// request line, an SMTP server repeating the login). What is stored or logged goes through
/// this first.
public struct KnownSecretScrubber: Sendable {
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
