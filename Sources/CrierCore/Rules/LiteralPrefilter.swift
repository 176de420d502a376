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
        var parser = Parser(Array(pattern.utf8))
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

    /// Required literals as "any of these" sets; nil: nothing known.
    typealias Requirement = [[UInt8]]

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        /// Syntax not followed: no prefilter at all.
        var failed = false

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        enum Atom {
            case literal(UInt8)
            /// A group or a positive lookahead: what it requires.
            case group(Requirement?)
            /// A class, `.`, an assertion, a back-reference: consumes something unknown or
            /// nothing, requires nothing.
            case other
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        func at(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

        /// `a|b|c` up to a `)` or the end: every branch must require something.
        mutating func alternation() -> Requirement? {
            var union: Requirement = []
            var known = true
            while true {
                if let branch = sequence() { union += branch } else { known = false }
                guard !failed, peek == UInt8(ascii: "|") else { break }
                index += 1
            }
            guard known else { return nil }
            var seen = Set<[UInt8]>()
            return union.filter { seen.insert($0).inserted }
        }

        /// The strongest requirement of a sequence: its longest literal run, or the best
        /// requirement of one of its mandatory groups.
        mutating func sequence() -> Requirement? {
            var best: Requirement?
            var run: [UInt8] = []
            func consider(_ candidate: Requirement?) {
                guard let candidate, !candidate.isEmpty else { return }
                guard let current = best else { best = candidate; return }
                let a = candidate.map(\.count).min()!, b = current.map(\.count).min()!
                if a > b || (a == b && candidate.count < current.count) { best = candidate }
            }
            func endRun() {
                if !run.isEmpty { consider([run]) }
                run = []
            }
            while !failed, let c = peek, c != UInt8(ascii: "|"), c != UInt8(ascii: ")") {
                let atom = self.atom()
                if failed { return nil }
                let (quantified, minimum) = quantifier()
                if failed { return nil }
                switch atom {
                case .literal(let byte):
                    if quantified {
                        // A quantifier binds a whole code point: do not cut one in half.
                        if byte >= 0x80 { failed = true; return nil }
                        endRun()
                        if minimum >= 1 { consider([[byte]]) }
                    } else {
                        run.append(byte)
                    }
                case .group(let requirement):
                    endRun()
                    if !quantified || minimum >= 1 { consider(requirement) }
                case .other:
                    endRun()
                }
            }
            endRun()
            return best
        }

        /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (then an optional lazy `?` or possessive
        /// `+`): whether one follows, and its minimum. A `{` that is no quantifier is left
        /// for the next atom (PCRE2 reads it as a literal).
        mutating func quantifier() -> (Bool, Int) {
            guard let c = peek else { return (false, 1) }
            var minimum: Int
            switch c {
            case UInt8(ascii: "*"), UInt8(ascii: "?"):
                minimum = 0
                index += 1
            case UInt8(ascii: "+"):
                minimum = 1
                index += 1
            case UInt8(ascii: "{"):
                var j = index + 1
                var digits = 0
                var value = 0
                while j < bytes.count, (0x30...0x39).contains(bytes[j]) {
                    value = value * 10 + Int(bytes[j] - 0x30)
                    digits += 1
                    j += 1
                }
                guard digits > 0, j < bytes.count else { return (false, 1) }
                if bytes[j] == UInt8(ascii: ",") {
                    j += 1
                    while j < bytes.count, (0x30...0x39).contains(bytes[j]) { j += 1 }
                }
                guard j < bytes.count, bytes[j] == UInt8(ascii: "}") else { return (false, 1) }
                minimum = value
                index = j + 1
            default:
                return (false, 1)
            }
            if let next = peek, next == UInt8(ascii: "?") || next == UInt8(ascii: "+") { index += 1 }
            return (true, minimum)
        }

        mutating func atom() -> Atom {
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "("): return group()
            case UInt8(ascii: "["):
                skipClass()
                return .other
            case UInt8(ascii: "\\"): return escape()
            case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                index += 1
                return .other
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                failed = true
                return .other
            default:
                index += 1
                return .literal(c)
            }
        }

        mutating func group() -> Atom {
            index += 1  // (
            guard peek == UInt8(ascii: "?") else {
                if peek == UInt8(ascii: "*") {  // a verb such as (*UTF): no text of its own
                    skipPast(UInt8(ascii: ")"))
                    return .other
                }
                return closeGroup(alternation(), counts: true)
            }
            index += 1  // ?
            guard let kind = peek else { failed = true; return .other }
            switch kind {
            case UInt8(ascii: "#"):
                skipPast(UInt8(ascii: ")"))
                return .other
            case UInt8(ascii: ":"), UInt8(ascii: ">"), UInt8(ascii: "|"):
                index += 1
                return closeGroup(alternation(), counts: true)
            case UInt8(ascii: "="):
                index += 1
                return closeGroup(alternation(), counts: true)
            case UInt8(ascii: "!"):
                index += 1
                return closeGroup(alternation(), counts: false)
            case UInt8(ascii: "<"):
                if at(1) == UInt8(ascii: "=") || at(1) == UInt8(ascii: "!") {
                    index += 2
                    return closeGroup(alternation(), counts: false)  // lookbehind: before the match
                }
                skipPast(UInt8(ascii: ">"))
                return closeGroup(alternation(), counts: true)
            case UInt8(ascii: "'"):
                index += 1
                skipPast(UInt8(ascii: "'"))
                return closeGroup(alternation(), counts: true)
            case UInt8(ascii: "P"):
                if at(1) == UInt8(ascii: "<") {
                    skipPast(UInt8(ascii: ">"))
                    return closeGroup(alternation(), counts: true)
                }
                if at(1) == UInt8(ascii: "=") {  // (?P=name): a back-reference
                    skipPast(UInt8(ascii: ")"))
                    return .other
                }
                failed = true
                return .other
            default:
                // Option letters: (?J) (?s) (?-m) (?s:…). Case-folding and extended syntax
                // change what a literal is: not followed.
                var disabling = false
                while let f = peek, f != UInt8(ascii: ")"), f != UInt8(ascii: ":") {
                    if f == UInt8(ascii: "-") { disabling = true } else if !Parser.isLetter(f) {
                        failed = true  // conditionals, recursion, callouts
                        return .other
                    } else if (f == UInt8(ascii: "i") && !disabling) || f == UInt8(ascii: "x") {
                        failed = true
                        return .other
                    }
                    index += 1
                }
                guard let end = peek else { failed = true; return .other }
                index += 1
                if end == UInt8(ascii: ")") { return .other }
                return closeGroup(alternation(), counts: true)
            }
        }

        mutating func closeGroup(_ requirement: Requirement?, counts: Bool) -> Atom {
            guard !failed, peek == UInt8(ascii: ")") else {
                failed = true
                return .other
            }
            index += 1
            return counts ? .group(requirement) : .other
        }

        mutating func escape() -> Atom {
            index += 1
            guard let c = peek else { failed = true; return .other }
            index += 1
            switch c {
            case UInt8(ascii: "t"): return .literal(0x09)
            case UInt8(ascii: "n"): return .literal(0x0A)
            case UInt8(ascii: "r"): return .literal(0x0D)
            case UInt8(ascii: "f"): return .literal(0x0C)
            case UInt8(ascii: "e"): return .literal(0x1B)
            case UInt8(ascii: "a"): return .literal(0x07)
            case UInt8(ascii: "d"), UInt8(ascii: "D"), UInt8(ascii: "w"), UInt8(ascii: "W"), UInt8(ascii: "s"), UInt8(ascii: "S"),
                 UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "v"), UInt8(ascii: "V"), UInt8(ascii: "R"), UInt8(ascii: "X"),
                 UInt8(ascii: "C"), UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "z"), UInt8(ascii: "Z"),
                 UInt8(ascii: "G"), UInt8(ascii: "K"):
                return .other
            case UInt8(ascii: "1")...UInt8(ascii: "9"):
                while let d = peek, (0x30...0x39).contains(d) { index += 1 }
                return .other
            case UInt8(ascii: "p"), UInt8(ascii: "P"):
                if peek == UInt8(ascii: "{") { skipPast(UInt8(ascii: "}")) } else { index += 1 }
                return .other
            case UInt8(ascii: "k"):
                guard let open = peek else { failed = true; return .other }
                index += 1
                skipPast(open == UInt8(ascii: "<") ? UInt8(ascii: ">") : open == UInt8(ascii: "{") ? UInt8(ascii: "}") : open)
                return .other
            default:
                if Parser.isLetter(c) || (0x30...0x39).contains(c) || c >= 0x80 {
                    failed = true  // \x, \Q…\E, \g, \0, \c, \N…: not followed
                    return .other
                }
                return .literal(c)  // \. \[ \\ \/ \- \" …
            }
        }

        /// `[...]`, with `]` first taken literally, escapes, and POSIX `[:alpha:]`.
        mutating func skipClass() {
            index += 1
            if peek == UInt8(ascii: "^") { index += 1 }
            if peek == UInt8(ascii: "]") { index += 1 }
            while let c = peek {
                index += 1
                switch c {
                case UInt8(ascii: "\\"): index += 1
                case UInt8(ascii: "["):
                    if peek == UInt8(ascii: ":") {
                        while let d = peek, !(d == UInt8(ascii: "]") && bytes[index - 1] == UInt8(ascii: ":")) { index += 1 }
                        index += 1
                    }
                case UInt8(ascii: "]"): return
                default: break
                }
            }
            failed = true
        }

        mutating func skipPast(_ end: UInt8) {
            while let c = peek {
                index += 1
                if c == end { return }
            }
            failed = true
        }

        static func isLetter(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }
    }
}

/// The set of byte values a line contains (256 bits), gathered in one pass per line.
public struct ByteSet: Sendable {
    private var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer) {
        var b0: UInt64 = 0, b1: UInt64 = 0, b2: UInt64 = 0, b3: UInt64 = 0
        for byte in bytes {
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: b0 |= bit
            case 1: b1 |= bit
            case 2: b2 |= bit
            default: b3 |= bit
            }
        }
        bits = (b0, b1, b2, b3)
    }

    @inline(__always)
    public func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return bits.0 & bit != 0
        case 1: return bits.1 & bit != 0
        case 2: return bits.2 & bit != 0
        default: return bits.3 & bit != 0
        }
    }
}
