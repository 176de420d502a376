public import CrierCore

/// Finds the year of timestamps that have none (RFC 3164): the reference year, or the one
/// before when that would put the line in the future, moving on at each Dec → Jan wrap.
public struct YearInference: Sendable {
    /// "Now" for inference: the wall clock live; pinned for tests and `--year`.
    public let reference: Timestamp
    private var year: Int?
    private var lastMonth = 0

    public init(reference: Timestamp) { self.reference = reference }

    /// Pins every first line to `year` (`crier replay --year`).
    public init(year: Int) {
        reference = Timestamp(year: year, month: 12, day: 31, hour: 23, minute: 59, second: 59)
    }

    mutating func year(month: Int, day: Int) -> Int {
        if let y = year {
            if month + 6 < lastMonth { year = y + 1 }  // Dec → Jan: a new year began
            lastMonth = month
            return year!
        }
        let ref = reference.civil
        var y = ref.year
        let candidate = Timestamp(year: y, month: month, day: min(day, CivilDate.daysInMonth(year: y, month: month)))
        if candidate > reference + .seconds(86_400) { y -= 1 }  // a syslog line is never from the future
        year = y
        lastMonth = month
        return y
    }
}
