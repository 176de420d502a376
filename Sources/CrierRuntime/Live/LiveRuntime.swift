import CrierCore
import CrierPlatform
import CrierNotifiers
import CrierSources
import CrierStore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `crier run`: sources, pipeline and delivery as one `ServiceGroup`. SIGTERM/SIGINT shut
/// down in the order of DESIGN §4: sources stop, groups are flushed into the outbox and
/// saved with the checkpoints, delivery finishes.
public enum LiveRuntime {
    public struct Options: Sendable {
        public var resetState = false
        /// Overrides `state_dir` (tests).
        public var stateDirectory: String?
        public init() {}
    }

    public static func stateDirectory(_ config: ResolvedConfig, environment: [String: String]) -> String {
        if let dir = config.stateDir { return dir }
        if let dir = environment["STATE_DIRECTORY"]?.split(separator: ":").first { return String(dir) }
        return ".crier"
    }

    /// Whether this machine has a journal to follow: journald runs, or journal files exist
    /// (an empty /var/log/journal from the systemd package does not count).
    static var journalAvailable: Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: "/run/systemd/journal/socket") { return true }
        for root in ["/var/log/journal", "/run/log/journal"] {
            for machine in (try? fm.contentsOfDirectory(atPath: root)) ?? [] {
                let files = (try? fm.contentsOfDirectory(atPath: "\(root)/\(machine)")) ?? []
                if files.contains(where: { $0.hasSuffix(".journal") }) { return true }
            }
        }
        return false
    }

    /// Standard input is a pipe or a file (`cmd | crier`, `crier < log`), not a terminal or
    /// /dev/null: the user meant it as the input.
    static var stdinIsData: Bool {
        var st = stat()
        guard fstat(0, &st) == 0 else { return false }
        let kind = st.st_mode & S_IFMT
        return kind == S_IFIFO || (kind == S_IFREG && st.st_size > 0)
    }

    public static func run(_ loaded: LoadedConfig, options: Options) async -> Int32 {
        var logger = Logger(label: "crier")
        logger.logLevel = ProcessInfo.processInfo.environment["CRIER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        let env = ProcessInfo.processInfo.environment
        let directory = options.stateDirectory ?? stateDirectory(loaded.config, environment: env)
        let store: StateStore
        do {
            store = try StateStore(directory: directory, reset: options.resetState)
        } catch {
            Commands.printError(error.message)
            return 1
        }

        let queue = ChunkQueue()
        var journals: [JournalFollower] = []
        var files: [FileFollower] = []
        var stdin: StdinFollower?
        var sources = loaded.config.sources
        if loaded.origin == ConfigLoader.embeddedOrigin {
            if stdinIsData {
                sources = [.stdin(format: .auto)]
            } else if !journalAvailable {
                logger.notice("no systemd journal on this machine; reading standard input")
                sources = [.stdin(format: .auto)]
            }
        }
        do {
            for source in sources {
                switch source {
                case .journal(let config):
                    let name = config.directory.map { "journal:\($0)" } ?? "journal"
                    journals.append(try JournalFollower(config: config, checkpoint: try store.checkpoint(source: name), queue: queue))
                case .file(let config):
                    let follower = FileFollower(config: config, maxAge: config.maxAge, queue: queue) { source in
                        (try? store.checkpoint(source: source)) ?? nil
                    }
                    follower.maxLineBytes = loaded.config.defaults.maxLineBytes
                    files.append(follower)
                case .stdin(let format):
                    stdin = StdinFollower(format: format, queue: queue, maxLineBytes: loaded.config.defaults.maxLineBytes)
                }
            }
        } catch let error as SourceError {
            Commands.printError(error.message)
            return 1
        } catch {
            Commands.printError("\(error)")
            return 1
        }

        var readerOptions = ReaderOptions(years: YearInference(reference: WallClock.now()))
        readerOptions.maxLineBytes = loaded.config.defaults.maxLineBytes
        let decoder = ChunkDecoder(options: readerOptions)
        let wakeup = DeliveryWakeup()
        let timer = DeadlineTimer(queue: queue)
        let watchdog = SystemdNotify.watchdogInterval
        let pipeline: PipelineService
        do {
            pipeline = try PipelineService(loaded: loaded, store: store, queue: queue, decoder: decoder, delivery: wakeup,
                                           timer: timer, logger: logger, watchdog: watchdog)
        } catch {
            Commands.printError(error.message)
            return 1
        }
        let telemetry = Telemetry()
        pipeline.metrics = PipelineMetrics(telemetry: telemetry, rules: pipeline.pipeline.stage.rules.rules)
        let sourcesService = SourcesService(journals: journals, files: files, stdin: stdin, queue: queue, logger: logger)
        let delivery: DeliveryService
        do {
            delivery = try DeliveryService(loaded: loaded, store: store, wakeup: wakeup, logger: logger, telemetry: telemetry,
                                           inputEnded: { [flag = sourcesService.inputEnded] in flag.isSet })
        } catch {
            Commands.printError(error.message)
            return 1
        }
        // What could not be restored (skipped, never a reason not to start).
        for problem in store.takeProblems() { logger.error("\(problem)") }
        let status = "following \(sourcesService.summary); \(loaded.rules.rules.count) rules; state \(store.path)"
        let ready = Flag()
        let readiness = Readiness(parts: 2) { [logger] in
            ready.set()
            SystemdNotify.send("READY=1\nSTATUS=\(status)")
            logger.info("crier running: \(status)")
        }
        pipeline.onReady = { readiness.partReady() }
        sourcesService.onStarted = { readiness.partReady() }

        // Services shut down in reverse order: the admin server goes last, so metrics and
        // status stay readable while the rest stops.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let server = loaded.config.server {
            services.append(.init(service: AdminServer(listen: server.listen, telemetry: telemetry, store: store,
                                                       config: loaded.config, ready: ready, logger: logger)))
        }
        let group = ServiceGroup(configuration: .init(
            services: services + [
                .init(service: delivery),
                .init(service: pipeline),
                .init(service: sourcesService, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("stopped: \(error)")
            timer.cancel()
            return 1
        }
        timer.cancel()
        SystemdNotify.send("STOPPING=1")
        return 0
    }
}
