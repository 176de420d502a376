import CrierCore
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
    }

    /// Tests each pack directory; returns counts (failures are printed with a diff).
    public func run(packDirectories: [String]) -> Outcome {
        var outcome = Outcome()
        for dir in packDirectories {
            outcome.packs += 1
            testPack(dir, &outcome)
        }
        out.line("\(outcome.passed) passed, \(outcome.failed) failed"
                 + (outcome.updated > 0 ? ", \(outcome.updated) goldens written" : "")
                 + " in \(outcome.packs) pack\(outcome.packs == 1 ? "" : "s")")
        out.flush()
        return outcome
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
            let actual = PackTester.replay(input, loaded: loaded)
            let name = "\(loaded.packs.first?.name ?? dir)/\(file)"
            if update {
                let existing = try? String(contentsOfFile: golden, encoding: .utf8)
                if existing != actual {
                    try? actual.write(toFile: golden, atomically: true, encoding: .utf8)
                    out.line("wrote \(golden)")
                    outcome.updated += 1
                }
                outcome.passed += 1
                continue
            }
            guard let expected = try? String(contentsOfFile: golden, encoding: .utf8) else {
                out.line("FAIL \(name): no golden file \(golden) (review the output of `crier test --update \(dir)`)")
                outcome.failed += 1
                continue
            }
            if expected == actual {
                outcome.passed += 1
                out.line("ok   \(name)")
            } else {
                outcome.failed += 1
                out.line("FAIL \(name): output differs from \(golden) (- expected, + actual)")
                for line in LineDiff.unified(expected: lines(expected), actual: lines(actual)) { out.line("  \(line)") }
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
        let capture = OutputWriter(capturing: ())
        let runner = ReplayRunner(options: options, loaded: loaded, out: capture)
        runner.run()
        // Paths differ between machines: goldens name the case file only.
        return capture.capturedText.replacingOccurrences(of: "\"source\":\(JSONValue.string(input).encoded)",
                                                         with: "\"source\":\(JSONValue.string(URL(fileURLWithPath: input).lastPathComponent).encoded)")
    }
}
