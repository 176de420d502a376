/// A credential from config (webhook URL, token, password). Its description never shows
/// the value, so string interpolation into logs, errors or `crier check` output is safe.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The value itself; read it only where it is put on the wire.
    public let exposedValue: String

    public init(_ value: String) { exposedValue = value }

    public var description: String { Secret.displayForm(exposedValue) }
    public var debugDescription: String { description }

    public var isEmpty: Bool { exposedValue.isEmpty }

    /// Keeps only what identifies a destination without granting access:
    /// `https://discord.com/api/webhooks/123/abc…` becomes `https://discord.com/…`.
    public static func displayForm(_ value: String) -> String {
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
