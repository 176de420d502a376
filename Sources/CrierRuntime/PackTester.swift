public import CrierCore
import CrierSources
import Foundation

/// `crier test`: replays every pack's `testdata/` cases and compares the result with the
/// case's `.golden` file (matches, notifications and summary as jsonl), like mtail's golden
/// tests. Runs are pinned to UTC and to a fixed "now" so goldens never depend on the day.
public struct PackTester {
    /// Year inference and clock start for every case: the end of 2026.
    public static let referenceTime = Timestamp(year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 59)
    public static let caseExtensions = ["log", "jsonl", "json", "txt"]

    public var loader: ConfigLoader
    public var update: Bool
    let out: OutputWriter

    public init(loader: ConfigLoader, update: Bool, out: OutputWriter) {
        self.loader = loader
        self.update = update
        self.out = out
    }

    public struct Outcome: Sendable {
        public var passed = 0
        public var failed = 0
        public var updated = 0
        public var packs = 0
        /// Inline `# expect:` results over every case.
        public var expectations = ExpectationCheck(expectations: [], matches: [], groups: [:], file: "")
    }

    /// Tests each pack directory; returns counts (failures are printed with a diff).
    public func run(packDirectories: [String]) -> Outcome {
        var outcome = Outcome()
        for dir in packDirectories {
            outcome.packs += 1
            testPack(dir, &outcome)
        }
        report(&outcome, what: "in \(outcome.packs) pack\(outcome.packs == 1 ? "" : "s")")
        return outcome
    }

    /// `crier test FILE…`: checks the inline expectations of log files against the rules of
    /// the configuration in use, and prints the hits per rule and every mismatch.
    public func run(files: [String], loaded: LoadedConfig) -> Outcome {
        var outcome = Outcome()
        for file in files {
            guard let text = Self.readCase(file, out: out) else {
                outcome.failed += 1
                continue
            }
            let (expectations, problems) = Expectation.parse(text, file: file)
            for p in problems { out.line("FAIL \(p)") }
            let jsonl = PackTester.replay(file, loaded: loaded)
            let check = ExpectationCheck(expectations: expectations, matches: ExpectationCheck.matches(inJSONL: jsonl),
                                         groups: Self.groups(loaded), file: file)
            out.line("\(file):")
            for (rule, n) in check.hitsByRule.sorted(by: { $0.key < $1.key }) { out.line("  \(rule.padding(40)) \(n)") }
            for m in check.mismatches { out.line("MISMATCH \(m)") }
            if expectations.isEmpty { out.line("\(file): no `\(Expectation.prefix)` annotations; the hits above are all there is") }
            if check.mismatches.isEmpty && problems.isEmpty { outcome.passed += 1 } else { outcome.failed += 1 }
            outcome.expectations.merge(check)
        }
        report(&outcome, what: "in \(files.count) file\(files.count == 1 ? "" : "s")")
        return outcome
    }

    private func report(_ outcome: inout Outcome, what: String) {
        for line in outcome.expectations.summaryLines { out.line(line) }
        out.line("\(outcome.passed) passed, \(outcome.failed) failed"
                 + (outcome.updated > 0 ? ", \(outcome.updated) goldens written" : "") + " " + what)
        out.flush()
    }

    static func readCase(_ path: String, out: OutputWriter) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            out.line("FAIL \(path): cannot read it")
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func groups(_ loaded: LoadedConfig) -> [String: String] {
        Dictionary(loaded.rules.rules.map { ($0.id, $0.groupKey) }, uniquingKeysWith: { a, _ in a })
    }

    func testPack(_ dir: String, _ outcome: inout Outcome) {
        var config = CrierConfig()
        config.packs = [dir]
        let loaded: LoadedConfig
        do {
            loaded = try loader.assemble(config, origin: dir, diagnostics: ConfigDiagnostics(file: dir))
        } catch {
            out.line("FAIL \(dir): the pack does not load")
            for issue in error.issues { out.line("  \(issue)") }
            outcome.failed += 1
            return
        }
        let testdata = "\(dir)/testdata"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: testdata)) ?? []).sorted()
        let cases = files.filter { PackTester.caseExtensions.contains(URL(fileURLWithPath: $0).pathExtension) }
        if cases.isEmpty {
            out.line("FAIL \(dir): no test cases in \(testdata) (every pack needs at least one)")
            outcome.failed += 1
            return
        }
        for file in cases {
            let input = "\(testdata)/\(file)"
            let golden = "\(testdata)/\(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent).golden"
            let name = "\(loaded.packs.first?.name ?? dir)/\(file)"
            guard let text = Self.readCase(input, out: out) else {
                outcome.failed += 1
                continue
            }
            let actual = PackTester.replay(input, loaded: loaded)
            let (expectations, problems) = Expectation.parse(text, file: input)
            let check = ExpectationCheck(expectations: expectations, matches: ExpectationCheck.matches(inJSONL: actual),
                                         groups: Self.groups(loaded), file: input)
            outcome.expectations.merge(check)
            var failures = problems.map { "  \($0)" }
            failures += check.mismatches.map { "  \($0)" }
            let existing = try? String(contentsOfFile: golden, encoding: .utf8)
            if update {
                if existing != actual {
                    try? actual.write(toFile: golden, atomically: true, encoding: .utf8)
                    out.line("wrote \(golden)")
                    outcome.updated += 1
                }
            } else if let expected = existing {
                if expected != actual {
                    failures.append("  output differs from \(golden) (- expected, + actual)")
                    failures += LineDiff.unified(expected: lines(expected), actual: lines(actual)).map { "  \($0)" }
                }
            } else if expectations.isEmpty {
                failures.append("  no golden file \(golden) and no `\(Expectation.prefix)` annotations "
                                + "(review the output of `crier test --update \(dir)`)")
            }
            if failures.isEmpty {
                outcome.passed += 1
                if !update { out.line("ok   \(name)" + (expectations.isEmpty ? "" : " (\(expectations.count) expectations)")) }
            } else {
                outcome.failed += 1
                out.line("FAIL \(name)")
                for f in failures { out.line(f) }
            }
        }
    }

    func lines(_ s: String) -> [String] {
        s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The golden form of one case: jsonl with matches, deterministic.
    public static func replay(_ input: String, loaded: LoadedConfig) -> String {
        var options = ReplayOptions(inputs: [input])
        options.output = .jsonl
        options.matches = true
        options.deterministic = true
        options.zone = .utc
        options.referenceTime = referenceTime
        options.skippedPrefix = Expectation.prefix
        let capture = OutputWriter(capturing: ())
        let runner = ReplayRunner(options: options, loaded: loaded, out: capture)
        runner.run()
        // Paths differ between machines: goldens name the case file only.
        return capture.capturedText.replacingOccurrences(of: "\"source\":\(JSONValue.string(input).encoded)",
                                                         with: "\"source\":\(JSONValue.string(URL(fileURLWithPath: input).lastPathComponent).encoded)")
    }
}
