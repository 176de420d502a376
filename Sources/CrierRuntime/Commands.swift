import CrierCore
import CrierNotifiers
import CrierSources
import Foundation

/// What the CLI subcommands do, behind argument parsing. Each returns the exit code
/// (CONTRACT: 0 success, 1 runtime or validation failure) and prints user errors without
/// stack traces.
public enum Commands {
    /// A duration as the config writes it (`30m`, `2h`, `7d`), for command-line options.
    public static func parseDuration(_ text: String) -> Duration? {
        guard case .success(let d) = DurationParser.parse(text) else { return nil }
        return d
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("crier: \(message)\n".utf8))
    }

    static func printIssues(_ error: ConfigError, heading: String) {
        let errors = error.issues.filter { $0.level == .error }
        var text = "crier: \(heading): \(errors.count) problem\(errors.count == 1 ? "" : "s")\n"
        for issue in error.issues { text += "  \(issue)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The configuration at `configPath` (or the embedded default), or nil after printing
    /// every problem with the file it came from.
    static func loadOrReport(_ configPath: String?) -> LoadedConfig? {
        let loader = ConfigLoader()
        do { return try loader.load(path: configPath) } catch {
            printIssues(error, heading: "configuration \(loader.resolvePath(configPath) ?? ConfigLoader.embeddedOrigin)")
            return nil
        }
    }

    public static func replay(_ options: ReplayOptions, configPath: String?, send: Bool) -> Int32 {
        guard let loaded = loadOrReport(configPath) else { return 1 }
        let runner = ReplayRunner(options: options, loaded: loaded)
        if send { runner.collected = [] }
        let summary = runner.run()
        for error in summary.inputErrors { printError(error) }
        if send, let messages = runner.collected {
            let delivered = ReplaySender.deliver(messages, loaded: loaded)
            if delivered != 0 { return delivered }
        }
        return summary.inputErrors.isEmpty ? 0 : 1
    }

    public static func check(configPath: String?) -> Int32 {
        guard let loaded = loadOrReport(configPath) else { return 1 }
        let origin = ConfigLoader().resolvePath(configPath) ?? ConfigLoader.embeddedOrigin
        let out = OutputWriter()
        out.line("configuration \(origin): OK")
        let kinds = Dictionary(grouping: loaded.rules.rules, by: \.kind)
        out.line("  packs (\(loaded.packs.count)): " + loaded.packs.map { pack in
            "\(pack.name) (\(loaded.rules.rules.filter { $0.pack == pack.name }.count))"
        }.joined(separator: ", "))
        out.line("  rules: \(loaded.rules.rules.count) (\(kinds[.match]?.count ?? 0) match, "
                 + "\(kinds[.correlation]?.count ?? 0) correlation, \(kinds[.absence]?.count ?? 0) absence)")
        // Secrets are shown redacted: `Secret`'s description never contains the value.
        for n in loaded.config.notifiers {
            let target = n.endpoint.map { " → \($0)" } ?? ""
            out.line("  notifier \(n.name): \(n.kind.rawValue)\(target)")
        }
        if !loaded.config.routes.isEmpty { out.line("  routes: \(loaded.config.routes.count)") }
        let t = loaded.config.defaults.timing
        out.line("  timing: group_wait \(DurationParser.format(t.groupWait)), group_interval "
                 + "\(DurationParser.format(t.groupInterval)), repeat_interval \(DurationParser.format(t.repeatInterval))")
        for warning in loaded.warnings { out.line("  \(warning)") }
        out.flush()
        return 0
    }

    /// `crier test [PACK_DIR...]`: the given directories, else the on-disk packs of the packs
    /// in use (`./patterns/<name>`, `$CRIER_PACKS_DIR/<name>`).
    public static func test(packDirectories arguments: [String], configPath: String?, update: Bool) -> Int32 {
        let loader = ConfigLoader()
        // A log file (not a pack directory or pack.yaml) is checked against its annotations
        // with the rules of the configuration in use.
        var isDirectory: ObjCBool = false
        let files = arguments.filter {
            !$0.hasSuffix("/pack.yaml") && FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        var dirs = arguments.filter { !files.contains($0) }.map { $0.hasSuffix("/pack.yaml") ? String($0.dropLast("/pack.yaml".count)) : $0 }
        if !files.isEmpty {
            guard let loaded = loadOrReport(configPath) else { return 1 }
            let outcome = PackTester(loader: loader, update: false, out: OutputWriter()).run(files: files, loaded: loaded)
            if dirs.isEmpty { return outcome.failed == 0 ? 0 : 1 }
            let packs = test(packDirectories: dirs, configPath: configPath, update: update)
            return outcome.failed == 0 ? packs : 1
        }
        if dirs.isEmpty {
            let loaded: LoadedConfig
            do {
                loaded = try loader.load(path: configPath)
            } catch {
                printIssues(error, heading: "configuration")
                return 1
            }
            let roots = [loader.environment["CRIER_PACKS_DIR"], "patterns", "/usr/share/crier/patterns"].compactMap { $0 }
            for pack in loaded.packs {
                if pack.file.hasPrefix("<shipped>") {
                    if let root = roots.first(where: { FileManager.default.fileExists(atPath: "\($0)/\(pack.name)/pack.yaml") }) {
                        dirs.append("\(root)/\(pack.name)")
                    } else {
                        printError("pack \(pack.name): its testdata is not on disk (looked in \(roots.joined(separator: ", ")))")
                    }
                } else {
                    dirs.append(URL(fileURLWithPath: pack.file).deletingLastPathComponent().path)
                }
            }
        }
        if dirs.isEmpty {
            printError("no pack directories to test")
            return 1
        }
        let outcome = PackTester(loader: loader, update: update, out: OutputWriter()).run(packDirectories: dirs)
        return outcome.failed == 0 ? 0 : 1
    }

    public static func run(configPath: String?, options: LiveRuntime.Options) async -> Int32 {
        guard let loaded = loadOrReport(configPath) else { return 1 }
        return await LiveRuntime.run(loaded, options: options)
    }
}
