import CrierCore
import Foundation

/// Inline expectations in a test log, in the manner of fail2ban-regex: an annotation line
/// above a log line says what must match it.
///
///     # expect: rule=sshd.failed_password ip=203.0.113.7 user=root
///     Nov 23 10:00:00 web sshd[1]: Failed password for root from 203.0.113.7 port 22 ssh2
///     # expect: none
///     Nov 23 10:00:01 web sshd[2]: Accepted publickey for deploy from 198.51.100.4 port 22 ssh2
///
/// `rule=` names a full rule id or a pack group (`sshd.auth_failure`); the other pairs are
/// captures that must have exactly that value (quote values with spaces: `user="a b"`).
/// Several annotations above one line expect several rules. For a multi-line record (a
/// traceback) the annotation goes above its first line.
public struct Expectation: Sendable, Equatable {
    public static let prefix = "# expect:"

    /// The log line it is about (1-based, in the file as written).
    public var line: Int
    /// Where the annotation itself is.
    public var annotationLine: Int
    /// nil: `none`, no rule may match the line.
    public var rule: String?
    public var captures: [(name: String, value: String)]

    public static func == (a: Expectation, b: Expectation) -> Bool {
        a.line == b.line && a.annotationLine == b.annotationLine && a.rule == b.rule
            && a.captures.map(\.name) == b.captures.map(\.name) && a.captures.map(\.value) == b.captures.map(\.value)
    }

    /// Every annotation of `text`, or the problems with them (file:line: message).
    public static func parse(_ text: String, file: String) -> (expectations: [Expectation], problems: [String]) {
        var pending: [(Int, String)] = []
        var out: [Expectation] = []
        var problems: [String] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            if raw.hasPrefix(prefix) {
                pending.append((number, String(raw.dropFirst(prefix.count))))
                continue
            }
            if pending.isEmpty || raw.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            for (annotationLine, spec) in pending {
                switch parseSpec(spec) {
                case .success(let (rule, captures)):
                    out.append(Expectation(line: number, annotationLine: annotationLine, rule: rule, captures: captures))
                case .failure(let error):
                    problems.append("\(file):\(annotationLine): \(error.message)")
                }
            }
            pending = []
        }
        for (annotationLine, _) in pending { problems.append("\(file):\(annotationLine): no log line follows this annotation") }
        return (out, problems)
    }

    struct SpecError: Error { var message: String }

    static func parseSpec(_ spec: String) -> Result<(String?, [(name: String, value: String)]), SpecError> {
        let words = tokenize(spec)
        if words == ["none"] { return .success((nil, [])) }
        var rule: String?
        var captures: [(name: String, value: String)] = []
        for word in words {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex else {
                return .failure(SpecError(message: "expected `none` or `rule=ID name=value…`, found '\(word)'"))
            }
            let name = String(word[..<eq]), value = String(word[word.index(after: eq)...])
            if name == "rule" { rule = value } else { captures.append((name, value)) }
        }
        guard let rule, !rule.isEmpty else { return .failure(SpecError(message: "`rule=` is missing (or write `none`)")) }
        return .success((rule, captures))
    }

    /// Splits on spaces, keeping `"quoted values"` whole (quotes removed, `\"` kept).
    static func tokenize(_ s: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        var started = false
        for ch in s {
            if escaped {
                current.append(ch)
                escaped = false
            } else if ch == "\\" && quoted {
                escaped = true
            } else if ch == "\"" {
                quoted.toggle()
                started = true
            } else if ch == " " && !quoted {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(ch)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }
}

/// One rule hit as replay reports it (`match` events of `--output jsonl`).
public struct ObservedMatch: Sendable {
    public var line: Int
    public var rule: String
    public var fields: [String: String]
}

/// Expectations against what matched: mismatches to print, and counts for precision and
/// recall per pack.
public struct ExpectationCheck: Sendable {
    public struct Tally: Sendable {
        public var truePositives = 0
        public var falsePositives = 0
        public var falseNegatives = 0
        /// Annotated lines (a `none` line counts once).
        public var lines = 0

        public var precision: Double? {
            truePositives + falsePositives == 0 ? nil : Double(truePositives) / Double(truePositives + falsePositives)
        }

        public var recall: Double? {
            truePositives + falseNegatives == 0 ? nil : Double(truePositives) / Double(truePositives + falseNegatives)
        }

        mutating func add(_ other: Tally) {
            truePositives += other.truePositives
            falsePositives += other.falsePositives
            falseNegatives += other.falseNegatives
            lines += other.lines
        }
    }

    public var mismatches: [String] = []
    public var byPack: [String: Tally] = [:]
    public var hitsByRule: [String: Int] = [:]

    /// `groups` maps a rule id to its group name (`pack.group`), so `rule=` may name either.
    public init(expectations: [Expectation], matches: [ObservedMatch], groups: [String: String], file: String) {
        let byLine = Dictionary(grouping: matches, by: \.line)
        for m in matches { hitsByRule[m.rule, default: 0] += 1 }
        func pack(_ rule: String) -> String { String(rule.prefix { $0 != "." }) }
        for (line, expected) in Dictionary(grouping: expectations, by: \.line).sorted(by: { $0.key < $1.key }) {
            var actual = byLine[line] ?? []
            let packs = Set(expected.compactMap { $0.rule.map(pack) } + actual.map { pack($0.rule) })
            for p in packs { byPack[p, default: Tally()].lines += 1 }
            if packs.isEmpty { byPack["(none)", default: Tally()].lines += 1 }
            for e in expected {
                guard let rule = e.rule else { continue }
                guard let i = actual.firstIndex(where: { $0.rule == rule || groups[$0.rule] == rule }) else {
                    byPack[pack(rule), default: Tally()].falseNegatives += 1
                    let all = byLine[line] ?? []
                    let got = all.isEmpty ? "nothing matched" : "the line matched " + all.map(\.rule).joined(separator: ", ")
                    mismatches.append("\(file):\(line): expected \(rule), \(got)")
                    continue
                }
                let hit = actual.remove(at: i)
                // `name=` (empty) expects the capture to be empty or not to take part.
                let wrong = e.captures.filter { (hit.fields[$0.name] ?? ($0.value.isEmpty ? "" : nil)) != $0.value }
                if wrong.isEmpty {
                    byPack[pack(rule), default: Tally()].truePositives += 1
                } else {
                    // The right rule with the wrong captures: an alert that says the wrong thing.
                    byPack[pack(rule), default: Tally()].falseNegatives += 1
                    byPack[pack(hit.rule), default: Tally()].falsePositives += 1
                    let detail = wrong.map { "\($0.name)=\($0.value) but got \(hit.fields[$0.name].map { "'\($0)'" } ?? "no such capture")" }
                    mismatches.append("\(file):\(line): \(hit.rule) matched with \(detail.joined(separator: ", "))")
                }
            }
            for extra in actual {
                byPack[pack(extra.rule), default: Tally()].falsePositives += 1
                let what = expected.contains { $0.rule == nil } ? "expected none" : "not expected"
                mismatches.append("\(file):\(line): \(extra.rule) matched (\(what))")
            }
        }
    }

    public mutating func merge(_ other: ExpectationCheck) {
        mismatches += other.mismatches
        for (p, t) in other.byPack { byPack[p, default: Tally()].add(t) }
        for (r, n) in other.hitsByRule { hitsByRule[r, default: 0] += n }
    }

    /// `sshd: 62 annotated lines, precision 100.0% (41 TP, 0 FP), recall 97.6% (1 FN)`.
    public var summaryLines: [String] {
        byPack.keys.sorted().filter { $0 != "(none)" }.map { p in
            let t = byPack[p]!
            func pct(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
            return "\(p): \(t.lines) annotated lines, precision \(pct(t.precision)) (\(t.truePositives) TP, "
                + "\(t.falsePositives) FP), recall \(pct(t.recall)) (\(t.falseNegatives) FN)"
        }
    }

    /// Reads the `match` events of a jsonl replay.
    public static func matches(inJSONL text: String) -> [ObservedMatch] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{\"type\":\"match\""),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let number = object["line"] as? Int, let rule = object["rule"] as? String else { return nil }
            let fields = (object["fields"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            return ObservedMatch(line: number, rule: rule, fields: fields)
        }
    }
}
