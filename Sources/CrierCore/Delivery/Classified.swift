/// A notifier's reading of an attempt: what to do, what the server said about its limits,
/// and a short description for history (`last_error`), never containing the URL.
public struct Classified: Equatable, Sendable {
    public var outcome: DeliveryOutcome
    public var learned: LearnedLimit?
    public var detail: String
    public var status: Int?

    public init(_ outcome: DeliveryOutcome, learned: LearnedLimit? = nil, detail: String = "", status: Int? = nil) {
        self.outcome = outcome
        self.learned = learned
        self.detail = detail
        self.status = status
    }
}
