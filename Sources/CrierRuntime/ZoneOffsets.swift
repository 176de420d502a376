public import CrierCore
public import CrierSources
import Foundation

/// Zone offsets for calendar schedules (`by:`, digests), from Foundation's time zone data.
public enum ZoneOffsets {
    /// Named zones as given; no name: the machine's zone (`TZ`).
    public static let local: CalendarSchedule.ZoneOffset = { name, at in offset(name, at, default: .current) }

    /// No name: UTC (replay with `--utc`, `crier test`).
    public static let utc: CalendarSchedule.ZoneOffset = { name, at in
        offset(name, at, default: TimeZone(identifier: "UTC")!)
    }

    public static func make(_ policy: ZonePolicy) -> CalendarSchedule.ZoneOffset {
        switch policy {
        case .local: return local
        case .utc: return utc
        case .fixed(let seconds): return { name, at in name == nil ? seconds : offset(name, at, default: .current) }
        }
    }

    static func offset(_ name: String?, _ at: Timestamp, default zone: TimeZone) -> Int {
        let tz = name.flatMap { TimeZone(identifier: $0) } ?? zone
        return tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(at.seconds)))
    }

    /// Whether a zone name from config exists.
    public static func isKnown(_ name: String) -> Bool { TimeZone(identifier: name) != nil }
}
