#if canImport(Glibc)
import Glibc
#endif
public import CrierCore

/// How to read timestamps that carry no zone (RFC 3164, `2026-11-23 10:15:00`, Apache's ctime).
public enum ZonePolicy: Sendable, Equatable {
    /// The machine's zone (`TZ`), as syslog daemons and journalctl do. The default.
    case local
    case utc
    /// A fixed offset east of UTC, in seconds.
    case fixed(seconds: Int)
}

/// Turns zone-less civil times into UTC instants, caching the zone offset per hour so the
/// hot path calls `localtime_r` about once per hour of log, not once per line.
public struct LocalTimeConverter {
    public let policy: ZonePolicy
    private var cachedHour: Int64 = .min
    private var cachedOffset: Int64 = 0

    public init(policy: ZonePolicy) {
        self.policy = policy
        if policy == .local { tzset() }
    }

    /// `civilSeconds` is the civil time counted as if it were UTC.
    public mutating func instant(civilSeconds: Int64, microseconds: Int64) -> Timestamp {
        switch policy {
        case .utc:
            return Timestamp(seconds: civilSeconds, microseconds: microseconds)
        case .fixed(let offset):
            return Timestamp(seconds: civilSeconds - Int64(offset), microseconds: microseconds)
        case .local:
            let hour = civilSeconds.floorDiv(3600)
            if hour != cachedHour {
                cachedHour = hour
                cachedOffset = LocalTimeConverter.offset(forCivil: civilSeconds)
            }
            return Timestamp(seconds: civilSeconds - cachedOffset, microseconds: microseconds)
        }
    }

    /// The zone offset in force at a civil time; around a DST change the later reading wins.
    static func offset(forCivil civil: Int64) -> Int64 {
        func gmtoff(_ t: Int64) -> Int64 {
            var time = time_t(t)
            var parts = tm()
            localtime_r(&time, &parts)
            return Int64(parts.tm_gmtoff)
        }
        let first = gmtoff(civil)
        let second = gmtoff(civil - first)
        return second
    }
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
