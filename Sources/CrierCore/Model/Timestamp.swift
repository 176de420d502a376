/// A point in time as microseconds since the Unix epoch, UTC.
///
/// crier keeps time as a plain integer (not Foundation's `Date`) because it is parsed
/// for every line on the hot path, and because replay runs on record time: the same
/// arithmetic serves both clocks.
public struct Timestamp: Hashable, Comparable, Sendable, Codable {
    public var microseconds: Int64

    /// Stored in the state database: renaming the property must not change it.
    enum CodingKeys: String, CodingKey { case microseconds }

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public init(seconds: Int64, microseconds: Int64 = 0) {
        self.microseconds = seconds &* 1_000_000 &+ microseconds
    }

    public static let distantPast = Timestamp(microseconds: .min / 2)
    public static let distantFuture = Timestamp(microseconds: .max / 2)

    public var seconds: Int64 { microseconds.floorDivided(by: 1_000_000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    public static func + (t: Timestamp, d: Duration) -> Timestamp {
        Timestamp(microseconds: t.microseconds &+ d.microseconds)
    }

    public static func - (t: Timestamp, d: Duration) -> Timestamp {
        Timestamp(microseconds: t.microseconds &- d.microseconds)
    }

    public static func - (a: Timestamp, b: Timestamp) -> Duration {
        .microseconds(a.microseconds &- b.microseconds)
    }

    /// Builds a timestamp from a proleptic Gregorian UTC date and time.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
                microsecond: Int = 0) {
        let days = CivilDate.daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour) * 3_600 + Int64(minute) * 60 + Int64(second)
        self.init(seconds: secs, microseconds: Int64(microsecond))
    }

    /// The UTC calendar fields of this instant.
    public var civil: CivilDate {
        let secs = seconds
        let days = secs.floorDivided(by: 86_400)
        let rem = Int(secs - days * 86_400)
        var date = CivilDate.civilFromDays(Int(days))
        date.hour = rem / 3_600
        date.minute = rem % 3_600 / 60
        date.second = rem % 60
        date.microsecond = Int(microseconds - secs * 1_000_000)
        return date
    }

    /// RFC 3339 in UTC with millisecond precision: `2026-11-23T10:15:00.000Z`.
    /// One fixed shape, so that scripts reading `--output jsonl` need no guessing.
    public var iso8601: String {
        let c = civil
        return "\(c.year.padded(4))-\(c.month.padded(2))-\(c.day.padded(2))T"
            + "\(c.hour.padded(2)):\(c.minute.padded(2)):\(c.second.padded(2))."
            + "\((c.microsecond / 1000).padded(3))Z"
    }

    /// `2026-11-23 10:15:00` (UTC), for human reports.
    public var shortUTC: String {
        let c = civil
        return "\(c.year.padded(4))-\(c.month.padded(2))-\(c.day.padded(2)) "
            + "\(c.hour.padded(2)):\(c.minute.padded(2)):\(c.second.padded(2))"
    }
}

/// Calendar fields, with Howard Hinnant's days-from-civil algorithms (exact for any year).
public struct CivilDate: Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour = 0
    public var minute = 0
    public var second = 0
    public var microsecond = 0

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ z0: Int) -> CivilDate {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return CivilDate(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// 0 = Sunday … 6 = Saturday.
    public static func weekday(daysSinceEpoch days: Int) -> Int {
        ((days % 7) + 11) % 7
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension Duration {
    public var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000 &+ attoseconds / 1_000_000_000_000
    }

    public var wholeSeconds: Int64 { components.seconds }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before 1970 split correctly.
    @inlinable public func floorDivided(by d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}

extension Int {
    func padded(_ width: Int) -> String {
        let s = String(self)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
