#if canImport(Glibc)
import Glibc
#endif

/// Literals that every match of a pattern contains, checked with `memmem` before PCRE2 runs.
///
/// Most log lines match no rule, and a rule written the way packs are (anchored lookaheads,
/// `.*?` scans, alternations) costs PCRE2 a walk over the whole line even when the word it
/// needs is absent. A line without any of a rule's required literals cannot match it, so the
/// regex is not run at all. This is the prefilter Hyperscan, ripgrep and Vector's regex sets
/// use, kept deliberately simple: the pattern is read for literal runs, groups, alternations
/// and positive lookaheads, and anything not understood yields no prefilter (the regex then
/// always runs). A prefilter may let through lines that do not match; it never stops one
/// that does.
public struct LiteralPrefilter: Sendable, Equatable {
    /// The line must contain at least one of these (byte strings, each non-empty).
    public let alternatives: [[UInt8]]

    /// Shortest literal worth a search: shorter ones rule out too few lines to pay.
    static let minimumLength = 3
    /// More alternatives than this cost more searches than the regex they would save.
    static let maximumAlternatives = 8

    /// nil when the pattern has no usable required literal, or uses syntax this reader does
    /// not follow (then the regex always runs).
    public init?(pattern: String) {
        var parser = RequiredLiteralParser(Array(pattern.utf8))
        let required = parser.alternation()
        guard !parser.failed, parser.index == parser.bytes.count, let required,
              let shortest = required.map(\.count).min(), shortest >= Self.minimumLength,
              required.count <= Self.maximumAlternatives else { return nil }
        alternatives = required
        rareBytes = required.map { literal in
            let ranked = Array(Set(literal)).sorted {
                (LiteralPrefilter.commonness($0), $0) < (LiteralPrefilter.commonness($1), $1)
            }
            return (ranked[0], ranked.count > 1 ? ranked[1] : ranked[0])
        }
    }

    /// Per literal, its two rarest bytes in log text: a line missing either cannot hold it.
    private let rareBytes: [(UInt8, UInt8)]

    /// False only when no match is possible. (Matching uses `Regex`'s flattened copy; this
    /// is the same decision, for tests and tools.)
    public func mayMatch(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let flat = Flat(self)
        defer { flat.deallocate() }
        return flat.mayMatch(bytes, present: ByteSet(bytes))
    }

    /// One literal of the flattened form.
    struct Needle {
        var offset: Int
        var length: Int
        var rare0: UInt8
        var rare1: UInt8
    }

    /// The prefilter as plain memory for the per-line path: arrays there would be retained
    /// and released for every rule on every line, which costs more than the search itself.
    /// Owned by the `Regex` that builds it (freed in its deinit).
    struct Flat: @unchecked Sendable {
        let needles: UnsafeMutableBufferPointer<Needle>
        let bytes: UnsafeMutableBufferPointer<UInt8>

        static let none = Flat(needles: UnsafeMutableBufferPointer(start: nil, count: 0),
                               bytes: UnsafeMutableBufferPointer(start: nil, count: 0))

        private init(needles: UnsafeMutableBufferPointer<Needle>, bytes: UnsafeMutableBufferPointer<UInt8>) {
            self.needles = needles
            self.bytes = bytes
        }

        init(_ prefilter: LiteralPrefilter) {
            needles = .allocate(capacity: prefilter.alternatives.count)
            bytes = .allocate(capacity: prefilter.alternatives.reduce(0) { $0 + $1.count })
            var offset = 0
            for (i, literal) in prefilter.alternatives.enumerated() {
                for (j, byte) in literal.enumerated() { bytes[offset + j] = byte }
                needles[i] = Needle(offset: offset, length: literal.count, rare0: prefilter.rareBytes[i].0,
                                    rare1: prefilter.rareBytes[i].1)
                offset += literal.count
            }
        }

        var isEmpty: Bool { needles.isEmpty }

        func deallocate() {
            if !needles.isEmpty { needles.deallocate() }
            if !bytes.isEmpty { bytes.deallocate() }
        }

        @inline(__always)
        func mayMatch(_ subject: UnsafeRawBufferPointer, present: ByteSet) -> Bool {
            guard let base = subject.baseAddress, let literals = bytes.baseAddress else { return false }
            for needle in needles {
                guard present.contains(needle.rare0), present.contains(needle.rare1) else { continue }
                let literal = UnsafeRawBufferPointer(start: literals + needle.offset, count: needle.length)
                if LiteralPrefilter.contains(base, subject.count, literal) { return true }
            }
            return false
        }
    }

    public static func == (a: LiteralPrefilter, b: LiteralPrefilter) -> Bool { a.alternatives == b.alternatives }

    /// How common a byte is in log lines (higher: more common); a rough ranking is enough.
    static func commonness(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: " "): 100
        case UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "i"), UInt8(ascii: "n"),
             UInt8(ascii: "s"), UInt8(ascii: "r"): 90
        case UInt8(ascii: "0")...UInt8(ascii: "9"): 85
        case UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "/"): 80
        case UInt8(ascii: "h"), UInt8(ascii: "l"), UInt8(ascii: "d"), UInt8(ascii: "c"), UInt8(ascii: "u"), UInt8(ascii: "m"),
             UInt8(ascii: "p"), UInt8(ascii: "f"), UInt8(ascii: "g"): 70
        case UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "_"): 60
        case UInt8(ascii: "a")...UInt8(ascii: "z"): 50
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "("), UInt8(ascii: ")"): 30
        default: 10
        }
    }

    /// Substring search: `memchr` (vectorised in glibc) to each candidate first byte, then
    /// `memcmp`. (glibc's `memmem` is not visible to Swift without _GNU_SOURCE.)
    @inline(__always)
    static func contains(_ base: UnsafeRawPointer, _ count: Int, _ literal: UnsafeRawBufferPointer) -> Bool {
        let n = literal.count
        guard n <= count, let needle = literal.baseAddress else { return false }
        let first = Int32(literal[0])
        var position = base
        let lastStart = base + (count - n)
        while position <= lastStart {
            guard let hit = memchr(position, first, lastStart - position + 1) else { return false }
            if memcmp(hit, needle, n) == 0 { return true }
            position = UnsafeRawPointer(hit) + 1
        }
        return false
    }
}
