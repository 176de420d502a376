import CrierCore
import CrierSources
import CrierStore
import Foundation
import Logging
import ServiceLifecycle

/// The followers (journal, files, stdin), each on its own thread. Shut down first, so
/// nothing new is read while the pipeline saves its state.
final class SourcesService: Service, @unchecked Sendable {
    private let journals: [JournalFollower]
    private let files: [FileFollower]
    private let stdin: StdinFollower?
    private let queue: ChunkQueue
    private let logger: Logger
    private let ended: AsyncStream<Void>
    private let endedContinuation: AsyncStream<Void>.Continuation

    /// Called once every follower has been started (positions taken).
    var onStarted: @Sendable () -> Void = {}
    /// Set when the run ends because its input did (piped stdin), not because of a signal.
    let inputEnded = Flag()

    init(journals: [JournalFollower], files: [FileFollower], stdin: StdinFollower?, queue: ChunkQueue, logger: Logger) {
        self.journals = journals
        self.files = files
        self.stdin = stdin
        self.queue = queue
        self.logger = logger
        (ended, endedContinuation) = AsyncStream.makeStream(of: Void.self)
        let continuation = endedContinuation
        stdin?.onEnd = { continuation.finish() }
    }

    var summary: String {
        var parts: [String] = []
        for j in journals { parts.append(j.source) }
        if !files.isEmpty { parts.append("files \(files.flatMap(\.config.paths).joined(separator: ", "))") }
        if stdin != nil { parts.append("standard input") }
        return parts.joined(separator: "; ")
    }

    func run() async throws {
        for j in journals { j.start() }
        for f in files { f.start() }
        stdin?.start()
        onStarted()
        // Runs until shutdown; a stdin-only run also ends when its input does (and the
        // group then shuts down gracefully, saving everything).
        if stdin != nil && journals.isEmpty && files.isEmpty {
            for await _ in ended.cancelOnGracefulShutdown() {}
            if !Task.isShuttingDownGracefully { inputEnded.set() }
        } else {
            try? await gracefulShutdown()
        }
        for j in journals { j.stopAndWait() }
        for f in files { f.stopAndWait() }
        stdin?.stopAndWait()
        for failure in journals.compactMap(\.failure) + files.compactMap(\.failure) { logger.error("\(failure)") }
        queue.finish()
    }
}
