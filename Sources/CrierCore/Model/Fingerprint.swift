/// A stable 64-bit FNV-1a hash: the identity of an alert group (rule + label values).
///
/// FNV-1a is what Alertmanager uses for label sets; unlike Swift's `Hasher` it is the same
/// in every process, which the outbox and group state in SQLite rely on across restarts.
public struct Fingerprint: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var value: UInt64

    /// Stored in the state database: renaming the property must not change it.
    enum CodingKeys: String, CodingKey { case value }

    public init(value: UInt64) { self.value = value }

    public init() { value = 0xcbf2_9ce4_8422_2325 }

    public static func < (a: Fingerprint, b: Fingerprint) -> Bool { a.value < b.value }

    @inlinable public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for b in bytes {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        value = h
    }

    public mutating func combine(_ string: String) {
        var s = string
        s.withUTF8 { combine(UnsafeRawBufferPointer($0)) }
    }

    /// Separates parts, so that ("ab", "c") and ("a", "bc") differ.
    @inlinable public mutating func separator() {
        value = (value ^ 0xff) &* 0x0000_0100_0000_01b3
    }

    /// Sixteen lowercase hex digits.
    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public init?(hex: String) {
        guard hex.utf8.count == 16, let v = UInt64(hex, radix: 16) else { return nil }
        value = v
    }
}
