/// Something delivery did that is logged or counted. Produced by the pure decisions; the
/// service turns them into log lines and metrics, so both are tested on plain values.
public enum DeliveryEvent: Sendable, Equatable {
    /// One attempt's outcome (the `crier_delivery_attempts_total` and duration metrics).
    case attempted(rowID: Int64, outcome: DeliveryOutcome, millis: Int)
    case retrying(FailureReason, detail: String, after: Duration)
    case refused(rowID: Int64, rule: String, detail: String)
    /// The webhook is wrong or gone (401/403/404/410, a refused login).
    case disabled(detail: String)
    case plainFallback(rowID: Int64, rule: String, detail: String)
    case expired(rowID: Int64, rule: String, maxAge: Duration)
    case buried(rowID: Int64, problem: String)
    /// Storm control replaced `sources` of `waiting` rows with `into` rows.
    case folded(waiting: Int, sources: Int, into: Int)
    /// A disable recorded for an older URL was lifted at start.
    case reenabled(previousReason: String)

    public enum Level: Sendable { case notice, warning, error }

    /// The log line (nil: counted only). `waiting`: the notifier's waiting rows, for a disable.
    public func logLine(notifier name: String, waiting: Int = 0) -> (Level, String)? {
        switch self {
        case .attempted: nil
        case .retrying(let reason, let detail, let after):
            (.warning, "\(name): \(reason.rawValue) (\(detail)); retry in \(DurationParser.format(after))")
        case .refused(let id, let rule, let detail):
            (.error, "\(name): message \(id) (\(rule)) refused for good: \(detail)")
        case .disabled(let detail):
            (.error, "\(name): the webhook answered \(detail); NOTIFIER DISABLED. \(waiting) messages wait in the outbox "
                + "until its URL is fixed")
        case .plainFallback(let id, let rule, let detail):
            (.warning, "\(name): message \(id) (\(rule)) refused: \(detail); sending it as plain text")
        case .expired(let id, let rule, let maxAge):
            (.error, "\(name): message \(id) (\(rule)) dead-lettered after \(DurationParser.format(maxAge))")
        case .buried(let id, let problem):
            (.error, "\(name): message \(id) cannot be read (\(problem)); dead-lettered, see `crier history --status dead`")
        case .folded(let waiting, _, let into):
            (.notice, "\(name): \(waiting) messages waiting; folded into \(into)")
        case .reenabled(let reason):
            (.notice, "\(name): webhook changed since it was disabled (\(reason)); delivering again")
        }
    }
}
