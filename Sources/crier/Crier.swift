import ArgumentParser
import CrierRuntime

#if canImport(Glibc)
import Glibc
#endif

/// `crier`: argument parsing only; the work is in CrierRuntime.
@main
struct Crier: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crier",
        abstract: "Tell Slack/Discord when your workers go wrong: follow logs, match rules, fold bursts, deliver.",
        // crier's version and commit, and the C libraries' versions as loaded (`--version`).
        version: VersionInfo.text,
        subcommands: [Run.self, Replay.self, Check.self, Test.self, SendTest.self, Status.self, History.self, Stats.self],
        defaultSubcommand: Run.self)

    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        // `crier --replay FILE …` is the same as `crier replay FILE …`.
        if let i = arguments.firstIndex(of: "--replay") {
            arguments.remove(at: i)
            arguments.insert("replay", at: 0)
        } else if let i = arguments.firstIndex(where: { $0.hasPrefix("--replay=") }) {
            let file = String(arguments[i].dropFirst("--replay=".count))
            arguments.remove(at: i)
            arguments.insert(contentsOf: ["replay", file], at: 0)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            // Usage errors exit 2 (CONTRACT), not ArgumentParser's 64; help and version exit 0.
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Glibc.exit(0)
            }
            writeStandardError(message + "\n")
            Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

func writeStandardError(_ s: String) {
    var s = s
    s.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $CRIER_CONFIG, /etc/crier/crier.yaml, else the embedded default).")
    var config: String?
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the sidecar: follow sources and deliver alerts (default).")
    @OptionGroup var options: ConfigOption

    @Flag(name: .customLong("reset-state"),
          help: "Start with empty state; the old state file is kept beside it as a backup.")
    var resetState = false

    @Option(name: .customLong("state-dir"), help: "State directory (overrides state_dir and $STATE_DIRECTORY).")
    var stateDir: String?

    func run() async throws {
        var live = LiveRuntime.Options()
        live.resetState = resetState
        live.stateDirectory = stateDir
        throw ExitCode(await Commands.run(configPath: options.config, options: live))
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the pipeline over saved logs on their own clock and show what would be sent.",
        discussion: "Also spelled `crier --replay FILE`. Use - for standard input.")

    @Argument(help: "Log files (text/syslog, JSON lines, journalctl -o json).")
    var files: [String]

    @OptionGroup var options: ConfigOption

    @Option(help: "Input format: auto, text, json, journal-json, journal.")
    var format: String = "auto"

    @Option(help: "Report format: text or jsonl.")
    var output: String = "text"

    @Flag(help: "Also emit one `match` event per matched record (jsonl).")
    var matches = false

    @Flag(name: .customLong("print-missed"), help: "List records that matched no rule (text).")
    var printMissed = false

    @Flag(help: "Deliver for real through the configured notifiers.")
    var send = false

    @Option(help: "Pace the replay at N x record time (default: as fast as possible).")
    var speed: Double?

    @Option(help: "Year of timestamps that have none (RFC 3164). Default: inferred from today.")
    var year: Int?

    @Flag(help: "Read timestamps without a zone as UTC (default: the local zone, like syslog).")
    var utc = false

    func validate() throws {
        guard ReplayOptions.formatNames.contains(format) else {
            throw ValidationError("--format must be one of \(ReplayOptions.formatNames.joined(separator: ", "))")
        }
        guard ReplayOptions.Output(rawValue: output) != nil else { throw ValidationError("--output must be text or jsonl") }
        if let speed, !(speed > 0) { throw ValidationError("--speed must be greater than zero") }
    }

    func run() throws {
        var replay = ReplayOptions(inputs: files)
        _ = replay.selectFormat(format)
        replay.output = ReplayOptions.Output(rawValue: output) ?? .text
        replay.matches = matches
        replay.printMissed = printMissed
        replay.speed = speed
        replay.year = year
        replay.readsUTC = utc
        throw ExitCode(Commands.replay(replay, configPath: options.config, send: send))
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate the config and compile every rule; list every error.")
    @OptionGroup var options: ConfigOption

    func run() throws {
        throw ExitCode(Commands.check(configPath: options.config))
    }
}

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run pattern-pack goldens (default: every pack in use found on disk).")

    @Argument(help: "Pack directories (holding pack.yaml and testdata/), or log files with `# expect:` annotations.")
    var packs: [String] = []

    @OptionGroup var options: ConfigOption

    @Flag(help: "Write the current output as the goldens instead of comparing.")
    var update = false

    func run() throws {
        throw ExitCode(Commands.test(packDirectories: packs, configPath: options.config, update: update))
    }
}

struct SendTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test", abstract: "Deliver one test alert through the real delivery path and print the outcome.")
    @OptionGroup var options: ConfigOption
    @Option(help: "Only this notifier (default: every notifier).")
    var notifier: String?

    func run() throws { throw ExitCode(Commands.sendTest(configPath: options.config, notifier: notifier)) }
}

/// `--state-dir`, as `run` takes it: read the state of another directory.
struct StateDirOption: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "State directory (overrides state_dir and $STATE_DIRECTORY).")
    var stateDir: String?
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Queue depth, breaker state and rate limits per notifier.")
    @OptionGroup var options: ConfigOption
    @OptionGroup var state: StateDirOption

    func run() throws { throw ExitCode(Commands.status(configPath: options.config, stateDirectory: state.stateDir)) }
}

/// `--since 2h`.
struct SinceOption: ParsableArguments {
    @Option(help: "Only this recent (e.g. 30m, 2h, 7d).")
    var since: String?

    func duration() throws -> Duration? {
        guard let since else { return nil }
        guard let d = Commands.parseDuration(since) else { throw ValidationError("--since: expected a duration such as 2h") }
        return d
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delivery history from the state database.")
    @OptionGroup var options: ConfigOption
    @OptionGroup var state: StateDirOption
    @OptionGroup var since: SinceOption
    @Option(help: "Only this notifier.") var notifier: String?
    @Option(help: "Only this status: pending, retrying, rate_limited, delivered, dead, merged.") var status: String?
    @Option(help: "At most this many rows.") var limit = 50

    func run() throws {
        throw ExitCode(Commands.history(configPath: options.config, stateDirectory: state.stateDir, notifier: notifier,
                                        status: status, since: try since.duration(), limit: limit))
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Success rate, response times and counts per notifier, rule and severity.")
    @OptionGroup var options: ConfigOption
    @OptionGroup var state: StateDirOption
    @OptionGroup var since: SinceOption

    func run() throws {
        throw ExitCode(Commands.stats(configPath: options.config, stateDirectory: state.stateDir, since: try since.duration()))
    }
}
