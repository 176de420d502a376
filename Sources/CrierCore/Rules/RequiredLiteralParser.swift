/// Reads a PCRE2 pattern for the literals every match must contain (`LiteralPrefilter`):
/// literal runs, groups, alternations and positive lookaheads. Syntax it does not follow
/// sets `failed`, and then the pattern gets no prefilter.
struct RequiredLiteralParser {
    /// Required literals as "any of these" sets; nil: nothing known.
    typealias Requirement = [[UInt8]]

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
                if f == UInt8(ascii: "-") { disabling = true } else if !RequiredLiteralParser.isLetter(f) {
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
            if RequiredLiteralParser.isLetter(c) || (0x30...0x39).contains(c) || c >= 0x80 {
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
