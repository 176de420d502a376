#if canImport(Glibc)
import Glibc
#endif
public import CrierCore
import CrierPlatform
import CrierNotifiers
public import CrierSources

/// Options of `crier replay` (CONTRACT "replay options").
public struct ReplayOptions: Sendable {
    public enum Output: String, Sendable, CaseIterable { case text, jsonl }

    public var inputs: [String]
    public var format: InputFormat = .auto
    public var output: Output = .text
    /// Emit one `match` event per rule hit.
    public var matches = false
    /// List records no rule matched (text output).
    public var printMissed = false
    /// Pace at N × record time; nil = as fast as possible.
    public var speed: Double?
    public var zone: ZonePolicy = .local
    /// Year for timestamps without one; nil = infer from today's date.
    public var year: Int?
    /// "Now" for year inference and the clock of timestamp-less inputs; nil = the wall clock.
    public var referenceTime: Timestamp?
    /// Leave out `elapsed_seconds` (goldens must not depend on speed).
    public var deterministic = false
    /// Lines starting with this are not input (`# expect:` annotations of test cases).
    public var skippedPrefix: String?

    public init(inputs: [String]) { self.inputs = inputs }

    /// What `--format` accepts.
    public static var formatNames: [String] { InputFormat.allCases.map(\.rawValue) }

    /// Sets `format` from its name; false when there is no such format.
    public mutating func selectFormat(_ name: String) -> Bool {
        guard let format = InputFormat(rawValue: name) else { return false }
        self.format = format
        return true
    }

    /// `--utc`: timestamps without a zone are UTC instead of the local zone.
    public var readsUTC: Bool {
        get { zone == .utc }
        set { zone = newValue ? .utc : .local }
    }
}

/// What a replay found, for the report and the exit code.
public struct ReplaySummary: Sendable {
    public var read = ReadStats()
    public var match: MatchStats
    public var pipeline: PipelineStats
    public var rules: RuleSet
    public var elapsed: Double
    public var inputErrors: [String]
    public var peakRSSBytes: Int
}

/// Runs saved logs through the live pipeline on their own clock and writes what would be
/// sent: a readable report, or `--output jsonl` (CONTRACT "replay --output jsonl").
public final class ReplayRunner: PipelineOutput {
    public let options: ReplayOptions
    public let loaded: LoadedConfig
    private let out: OutputWriter
    private var pipeline: Pipeline!
    private var currentInput = ""
    /// Text output prints notifications after the summary, as the report reads top-down.
    /// Kept as finished text, not as batches: a long replay may decide thousands.
    private var heldMessages: [String] = []
    private var missedLines: [(String, Int, String)] = []
    private static let maxMissedLines = 10_000

    public init(options: ReplayOptions, loaded: LoadedConfig, out: OutputWriter = OutputWriter()) {
        self.options = options
        self.loaded = loaded
        self.out = out
    }

    public var wantsMatches: Bool { options.matches && options.output == .jsonl }
    public var wantsMissed: Bool { options.printMissed && options.output == .text }

    /// Replays every input in order through one pipeline; returns the summary.
    @discardableResult
    public func run() -> ReplaySummary {
        let started = MonotonicClock.now()
        let reference = options.referenceTime ?? WallClock.now()
        let years = options.year.map { YearInference(year: $0) } ?? YearInference(reference: reference)
        pipeline = Pipeline(loaded: loaded, source: options.inputs.first ?? "-", output: self, startTime: reference,
                            zoneOffset: ZoneOffsets.make(options.zone))
        var read = ReadStats()
        var errors: [String] = []
        var pacer = options.speed.map { ReplayPacer(speed: $0) }
        for input in options.inputs {
            currentInput = input
            pipeline.source = input
            var readerOptions = ReaderOptions(years: years)
            readerOptions.maxLineBytes = loaded.config.defaults.maxLineBytes
            readerOptions.zone = options.zone
            readerOptions.skippedPrefix = options.skippedPrefix.map { Array($0.utf8) }
            do {
                let reader = try openRecordReader(path: input, format: options.format, options: readerOptions)
                let pipeline = self.pipeline!
                if pacer != nil {
                    try reader.forEachRecord { view in
                        if let t = view.timestamp { pacer!.wait(until: t) }
                        pipeline.process(&view)
                    }
                } else {
                    try reader.forEachRecord { pipeline.process(&$0) }
                }
                read.merge(reader.stats)
            } catch {
                errors.append("\(error)")
            }
            pipeline.endOfInput()
        }
        pipeline.finish()
        let summary = ReplaySummary(read: read, match: pipeline.stage.stats, pipeline: pipeline.stats,
                                    rules: loaded.rules, elapsed: MonotonicClock.now() - started,
                                    inputErrors: errors, peakRSSBytes: ResourceUsage.peakRSSBytes())
        switch options.output {
        case .jsonl: out.line(ReplayReport.summaryJSON(summary, deterministic: options.deterministic))
        case .text: ReplayReport.writeText(summary, options: options, loaded: loaded, messages: heldMessages,
                                           missed: missedLines, to: out)
        }
        out.flush()
        return summary
    }

    // MARK: PipelineOutput

    public func match(_ record: LogRecord, hit: RuleHit) {
        out.line(ReplayReport.matchJSON(record, hit: hit))
    }

    public func missed(_ view: RecordView) {
        guard missedLines.count < ReplayRunner.maxMissedLines else { return }
        missedLines.append((currentInput, view.line, view.message.lossyString))
    }

    /// Every message, kept for `--send` (nil when not sending).
    public var collected: [OutgoingMessage]?

    public func message(_ message: OutgoingMessage) {
        collected?.append(message)
        switch options.output {
        case .jsonl: out.line(ReplayReport.notificationJSON(message))
        case .text: heldMessages.append(ReplayReport.messageText(message))
        }
    }
}

extension ReadStats {
    mutating func merge(_ other: ReadStats) {
        lines += other.lines
        bytes += other.bytes
        truncated += other.truncated
        malformed += other.malformed
        for sample in other.malformedSamples where malformedSamples.count < ReadStats.maxSamples {
            malformedSamples.append(sample)
        }
        format = format == .auto ? other.format : format
    }
}

/// Sleeps so that records are processed at `speed` × their own pace.
struct ReplayPacer {
    let speed: Double
    var origin: (record: Timestamp, wall: Double)?

    init(speed: Double) { self.speed = max(speed, 0.000001) }

    mutating func wait(until record: Timestamp) {
        let wall = MonotonicClock.now()
        guard let origin else {
            self.origin = (record, wall)
            return
        }
        let due = origin.wall + Double((record - origin.record).microseconds) / 1e6 / speed
        if due > wall { MonotonicClock.sleep(seconds: due - wall) }
    }
}

