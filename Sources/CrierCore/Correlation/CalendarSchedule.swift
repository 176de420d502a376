/// A calendar moment that repeats: `09:00` (every day), `mon 09:00`, `mon,thu 17:30`,
/// `weekdays 08:00`, `weekends 10:00`, optionally followed by a time zone name
/// (`mon 09:00 Europe/Paris`; default: the zone crier runs in, UTC in `crier test`).
/// Used by absence rules (`by:`) and digests (`schedule:`).
public struct CalendarSchedule: Hashable, Sendable, Codable {
    /// Days it fires on, 0 = Sunday … 6 = Saturday; all seven for a daily schedule.
    public var weekdays: Set<Int>
    public var hour: Int
    public var minute: Int
    /// IANA zone name, or nil for the default zone.
    public var zone: String?
    /// As written, for messages ("expected by mon 09:00").
    public var text: String

    /// Seconds east of UTC of a zone (nil: the default zone) at an instant. Injected: the
    /// core has no time zone database, the runtime has Foundation's.
    public typealias ZoneOffset = @Sendable (_ zone: String?, _ at: Timestamp) -> Int

    public static let utc: ZoneOffset = { _, _ in 0 }

    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public static func parse(_ text: String) -> Result<CalendarSchedule, ScheduleError> {
        var words = text.split(separator: " ").map { String($0) }
        guard !words.isEmpty else { return .failure(ScheduleError("expected a time such as 09:00 or mon 09:00")) }
        var zone: String?
        if let last = words.last, last.contains("/") || last == "UTC" {
            zone = last == "UTC" ? "UTC" : last
            words.removeLast()
        }
        guard let time = words.popLast(), let (hour, minute) = parseTime(time) else {
            return .failure(ScheduleError("expected HH:MM (24-hour) in '\(text)', e.g. mon 09:00"))
        }
        var days = Set<Int>()
        if words.isEmpty || words == ["daily"] {
            days = Set(0..<7)
        } else if words.count == 1 {
            for part in words[0].lowercased().split(separator: ",") {
                switch part {
                case "weekdays": days.formUnion(1...5)
                case "weekends": days.formUnion([0, 6])
                case "daily": days.formUnion(0..<7)
                default:
                    guard let d = dayNames.firstIndex(where: { part.hasPrefix($0) && $0.count <= part.count && part.count <= 9 }) else {
                        return .failure(ScheduleError("unknown day '\(part)' in '\(text)' (use mon…sun, weekdays, weekends or daily)"))
                    }
                    days.insert(d)
                }
            }
        } else {
            return .failure(ScheduleError("expected '[days] HH:MM [zone]' such as 'mon,thu 09:00', found '\(text)'"))
        }
        return .success(CalendarSchedule(weekdays: days, hour: hour, minute: minute, zone: zone, text: text))
    }

    static func parseTime(_ s: String) -> (Int, Int)? {
        let parts = s.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m),
              parts[1].count == 2 else { return nil }
        return (h, m)
    }

    /// The first moment strictly after `t`.
    public func next(after t: Timestamp, offset: ZoneOffset) -> Timestamp {
        // Walk local days from t's local date; a week and a day always contain one.
        let localSeconds = t.seconds + Int64(offset(zone, t))
        let localDay = Int(localSeconds.floorDivided(by: 86_400))
        for d in 0...8 {
            let day = localDay + d
            guard weekdays.contains(CivilDate.weekday(daysSinceEpoch: day)) else { continue }
            let local = Int64(day) * 86_400 + Int64(hour * 3_600 + minute * 60)
            // Local wall time → UTC with the offset in force then (DST changes shift it).
            var candidate = Timestamp(seconds: local - Int64(offset(zone, Timestamp(seconds: local))))
            candidate = Timestamp(seconds: local - Int64(offset(zone, candidate)))
            if candidate > t { return candidate }
        }
        return t + .seconds(86_400)  // unreachable with at least one weekday
    }

    /// The last moment at or before `t`.
    public func previous(atOrBefore t: Timestamp, offset: ZoneOffset) -> Timestamp {
        var probe = t - .seconds(8 * 86_400)
        var last = probe
        while true {
            let n = next(after: probe, offset: offset)
            if n > t { return last }
            last = n
            probe = n
        }
    }
}

public struct ScheduleError: Error, Equatable, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
}
