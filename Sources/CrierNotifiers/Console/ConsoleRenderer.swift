public import CrierCore

/// Readable text for a terminal or a log: what `crier` prints when no notifier is set, and
/// what the replay report shows for each notification.
public struct ConsoleRenderer: BatchRenderer {
    public let name: String
    public var kind: NotifierConfig.Kind { .console }

    public init(name: String = "console") { self.name = name }

    public func render(_ batch: AlertBatch) -> RenderedPayload {
        RenderedPayload(body: ["text": .string(ConsoleRenderer.text(batch))])
    }

    /// The text form, without trailing newline. Control characters from log text are shown
    /// as `\u{…}` (`VisibleControls`): this text goes to terminals, e-mails and the replay
    /// report.
    public static func text(_ batch: AlertBatch) -> String {
        var lines: [String] = []
        let count = batch.count > 1 && batch.reason != .digest ? ", ×\(HumanFormat.count(batch.count))" : ""
        lines.append("[\(SeverityStyle.tag(batch))] \(oneLine(BatchSummary.headline(batch)))  (\(batch.reason.rawValue)\(count))")
        if let lead = batch.lead {
            for line in lead.body.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(20)
            where !lead.body.isEmpty {
                lines.append("  \(Substring(line))")
            }
        }
        if let countLine = BatchSummary.countLine(batch) { lines.append("  \(countLine)") }
        for other in BatchSummary.otherExamples(batch) {
            lines.append("  also: \(other.firstLine)")
        }
        if let lead = batch.lead {
            for field in lead.fields where !isBlank(field.value) { lines.append("  \(oneLine(field.name)): \(field.value)") }
            if let tb = lead.traceback {
                let summary = [tb.exceptionType, tb.lastFrame.map { "at \($0)" }].compactMap { $0 }.joined(separator: " ")
                lines.append("  traceback (\(tb.lineCount) lines)\(summary.isEmpty ? "" : ": \(summary)")")
            }
            if let link = lead.link { lines.append("  link: \(link)") }
        }
        var context = [batch.rule]
        if let host = batch.lead?.host { context.append("host \(host)") }
        context.append(batch.firstSeen.shortUTC + " UTC")
        context.append("fp \(batch.fingerprint)")
        lines.append("  " + context.joined(separator: " · "))
        return VisibleControls.escape(lines.joined(separator: "\n"))
    }
}
