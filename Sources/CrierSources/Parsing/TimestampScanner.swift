import CrierCore

/// Byte-level readers for the timestamp shapes found at the start of log lines. Each takes
/// the line and a position, and returns the civil time and where it ended; none allocates.
struct CivilTime {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var microsecond: Int = 0
    /// Offset east of UTC in seconds when the text gave one.
    var zoneOffset: Int?

    var civilSeconds: Int64 {
        Int64(CivilDate.daysFromCivil(year: year, month: month, day: day)) * 86_400
            + Int64(hour * 3_600 + minute * 60 + second)
    }

    var isPlausible: Bool {
        (1...12).contains(month) && day >= 1 && day <= CivilDate.daysInMonth(year: year, month: month)
            && hour < 24 && minute < 60 && second <= 60
    }
}

struct TimestampScanner {
    let bytes: UnsafeRawBufferPointer

    @inline(__always) func at(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }
    @inline(__always) func isDigit(_ i: Int) -> Bool { let c = at(i); return c >= 0x30 && c <= 0x39 }

    func digits(_ i: Int, _ n: Int) -> Int? {
        var v = 0
        for k in 0..<n {
            guard isDigit(i + k) else { return nil }
            v = v * 10 + Int(at(i + k) - 0x30)
        }
        return v
    }

    /// `Jan`…`Dec` → 1…12.
    func month(_ i: Int) -> Int? {
        guard i + 3 <= bytes.count else { return nil }
        let a = at(i) | 0x20, b = at(i + 1) | 0x20, c = at(i + 2) | 0x20
        switch (a, b, c) {
        case (0x6A, 0x61, 0x6E): return 1  // jan
        case (0x66, 0x65, 0x62): return 2  // feb
        case (0x6D, 0x61, 0x72): return 3  // mar
        case (0x61, 0x70, 0x72): return 4  // apr
        case (0x6D, 0x61, 0x79): return 5  // may
        case (0x6A, 0x75, 0x6E): return 6  // jun
        case (0x6A, 0x75, 0x6C): return 7  // jul
        case (0x61, 0x75, 0x67): return 8  // aug
        case (0x73, 0x65, 0x70): return 9  // sep
        case (0x6F, 0x63, 0x74): return 10  // oct
        case (0x6E, 0x6F, 0x76): return 11  // nov
        case (0x64, 0x65, 0x63): return 12  // dec
        default: return nil
        }
    }

    /// `hh:mm:ss` at i.
    func clock(_ i: Int) -> (Int, Int, Int)? {
        guard let h = digits(i, 2), at(i + 2) == 0x3A, let m = digits(i + 3, 2), at(i + 5) == 0x3A,
              let s = digits(i + 6, 2) else { return nil }
        return (h, m, s)
    }

    /// Fraction after `.` or `,` at i: microseconds and the end position.
    func fraction(_ i: Int) -> (Int, Int) {
        guard at(i) == 0x2E || at(i) == 0x2C, isDigit(i + 1) else { return (0, i) }
        var j = i + 1
        var micros = 0
        var scale = 100_000
        while isDigit(j) {
            micros += Int(at(j) - 0x30) * scale
            scale /= 10
            j += 1
        }
        return (micros, j)
    }

    /// `Z`, `+01:00`, `+0100`, `-07` at i.
    func zone(_ i: Int) -> (Int?, Int) {
        let c = at(i)
        if c == 0x5A { return (0, i + 1) }  // Z
        guard c == 0x2B || c == 0x2D, let h = digits(i + 1, 2) else { return (nil, i) }
        let sign = c == 0x2D ? -1 : 1
        if at(i + 3) == 0x3A, let m = digits(i + 4, 2) { return (sign * (h * 3600 + m * 60), i + 6) }
        if let m = digits(i + 3, 2) { return (sign * (h * 3600 + m * 60), i + 5) }
        return (sign * h * 3600, i + 3)
    }

    /// RFC 3164: `Dec 10 06:55:46` or `Jun  9 06:06:20` (no year); `journalctl` under another
    /// locale writes its own abbreviation (`déc. 07 10:11:12`, `мая 07 10:11:12`).
    func rfc3164(_ i: Int) -> (month: Int, day: Int, hour: Int, minute: Int, second: Int, end: Int)? {
        var mon: Int
        var j: Int
        if let m = month(i), at(i + 3) == 0x20 {
            mon = m
            j = i + 4
        } else if let (m, end) = localizedMonth(i) {
            mon = m
            j = end + 1
        } else {
            return nil
        }
        var day: Int
        if at(j) == 0x20, let d = digits(j + 1, 1) {
            day = d
            j += 2
        } else if let d = digits(j, 2) {
            day = d
            j += 2
        } else if let d = digits(j, 1), at(j + 1) == 0x20 {
            day = d
            j += 1
        } else {
            return nil
        }
        guard at(j) == 0x20, let (h, m, s) = clock(j + 1) else { return nil }
        return (mon, day, h, m, s, j + 9)
    }

    /// ISO 8601 / RFC 3339: `2026-11-23T10:15:00.123+01:00`, also with a space instead of
    /// `T` and a comma before the fraction (Python logging, Hadoop).
    func iso8601(_ i: Int) -> (CivilTime, end: Int, hasT: Bool)? {
        guard let y = digits(i, 4), at(i + 4) == 0x2D, let mo = digits(i + 5, 2), at(i + 7) == 0x2D,
              let d = digits(i + 8, 2) else { return nil }
        let sep = at(i + 10)
        guard sep == 0x54 || sep == 0x20 || sep == 0x74, let (h, m, s) = clock(i + 11) else { return nil }
        let (micros, afterFraction) = fraction(i + 19)
        let (zone, end) = zone(afterFraction)
        let t = CivilTime(year: y, month: mo, day: d, hour: h, minute: m, second: s, microsecond: micros,
                          zoneOffset: zone)
        return t.isPlausible ? (t, end, sep != 0x20) : nil
    }

    /// Apache error log: `Sun Dec 04 04:47:44 2005` (after `[`).
    func ctime(_ i: Int) -> (CivilTime, end: Int)? {
        guard at(i + 3) == 0x20, let mon = month(i + 4), at(i + 7) == 0x20 else { return nil }
        let day = digits(i + 8, 2) ?? (at(i + 8) == 0x20 ? digits(i + 9, 1) : nil)
        guard let day, at(i + 10) == 0x20, let (h, m, s) = clock(i + 11) else { return nil }
        let (micros, afterFraction) = fraction(i + 19)
        guard at(afterFraction) == 0x20, let y = digits(afterFraction + 1, 4) else { return nil }
        let t = CivilTime(year: y, month: mon, day: day, hour: h, minute: m, second: s, microsecond: micros)
        return t.isPlausible ? (t, afterFraction + 5) : nil
    }

    /// A month token that is not English (`janv.`, `Mär`, `paź`, `июн`) at i, followed by
    /// a space and a day: the month and where the token ends. The day is checked first, so
    /// an ordinary word at the start of a line costs a few byte comparisons.
    func localizedMonth(_ i: Int) -> (Int, end: Int)? {
        let c = at(i)
        guard c >= 0x41 else { return nil }
        var e = i + 1
        while e < bytes.count && e - i < 10 && at(e) != 0x20 { e += 1 }
        guard at(e) == 0x20, e - i >= 3, isDigit(e + 1) || (at(e + 1) == 0x20 && isDigit(e + 2)) else { return nil }
        guard let m = MonthNames.month(bytes, from: i, to: e) else { return nil }
        return (m, e)
    }

    /// `dmesg -T` in any locale, after `[`: `Thu Dec  3 19:08:15 2026`, `jeu. déc.  3 …`,
    /// `Do Dez  3 …`; Apache's and uWSGI's English ctime too.
    func anyCtime(_ i: Int) -> (CivilTime, end: Int)? {
        if let r = ctime(i) { return r }
        var w = i
        while w < bytes.count && w - i < 12 && at(w) != 0x20 { w += 1 }
        guard w > i, at(w) == 0x20, let (mon, monthEnd) = localizedMonth(w + 1) else { return nil }
        var d = monthEnd + 1
        if at(d) == 0x20 { d += 1 }
        guard let day = digits(d, 2) ?? digits(d, 1) else { return nil }
        d += isDigit(d + 1) ? 2 : 1
        guard at(d) == 0x20, let (h, m, s) = clock(d + 1) else { return nil }
        let (micros, afterFraction) = fraction(d + 9)
        guard at(afterFraction) == 0x20, let y = digits(afterFraction + 1, 4) else { return nil }
        let t = CivilTime(year: y, month: mon, day: day, hour: h, minute: m, second: s, microsecond: micros)
        return t.isPlausible ? (t, afterFraction + 5) : nil
    }

    /// Common Log Format: `10/Oct/2000:13:55:36 -0700` (after `[`).
    func clf(_ i: Int) -> (CivilTime, end: Int)? {
        guard let d = digits(i, 2), at(i + 2) == 0x2F, let mon = month(i + 3), at(i + 6) == 0x2F,
              let y = digits(i + 7, 4), at(i + 11) == 0x3A, let (h, m, s) = clock(i + 12) else { return nil }
        var zoneOffset: Int?
        var end = i + 20
        if at(end) == 0x20 {
            let (z, e) = zone(end + 1)
            if z != nil { zoneOffset = z; end = e }
        }
        let t = CivilTime(year: y, month: mon, day: d, hour: h, minute: m, second: s, zoneOffset: zoneOffset)
        return t.isPlausible ? (t, end) : nil
    }

    /// Spark/log4j short form: `17/06/09 20:10:40` (yy/MM/dd).
    func shortYMD(_ i: Int) -> (CivilTime, end: Int)? {
        guard let y = digits(i, 2), at(i + 2) == 0x2F, let mo = digits(i + 3, 2), at(i + 5) == 0x2F,
              let d = digits(i + 6, 2), at(i + 8) == 0x20, let (h, m, s) = clock(i + 9) else { return nil }
        let t = CivilTime(year: 2000 + y, month: mo, day: d, hour: h, minute: m, second: s)
        return t.isPlausible ? (t, i + 17) : nil
    }

    /// nginx's error log: `2026/11/23 10:05:01 [error] …` (local time).
    func slashYMD(_ i: Int) -> (CivilTime, end: Int)? {
        guard let y = digits(i, 4), at(i + 4) == 0x2F, let mo = digits(i + 5, 2), at(i + 7) == 0x2F,
              let d = digits(i + 8, 2), at(i + 10) == 0x20, let (h, m, s) = clock(i + 11) else { return nil }
        let t = CivilTime(year: y, month: mo, day: d, hour: h, minute: m, second: s)
        return t.isPlausible ? (t, i + 19) : nil
    }

    /// A timestamp somewhere near the start of an application line (not syslog-framed):
    /// at the start, or at the start inside `[`, or the first `[` of an access log line.
    func loose() -> CivilTime? {
        guard bytes.count >= 8 else { return nil }
        if let (t, _, _) = iso8601(0) { return t }
        if let (t, _) = shortYMD(0) { return t }
        if let (t, _) = slashYMD(0) { return t }
        // Linux audit: `type=USER_LOGIN msg=audit(1795428000.123:456): …` (epoch seconds, UTC).
        if at(0) == UInt8(ascii: "t"), bytes.count > 40, let r = bytes.prefix(48).firstRange(of: "msg=audit(".utf8) {
            var i = r.upperBound
            var seconds = 0
            while isDigit(i) && seconds < 1 << 40 { seconds = seconds * 10 + Int(at(i) - 0x30); i += 1 }
            if seconds > 0, at(i) == 0x2E || at(i) == 0x3A {
                let (micros, _) = at(i) == 0x2E ? fraction(i) : (0, i)
                let civil = Timestamp(seconds: Int64(seconds), microseconds: Int64(micros)).civil
                return CivilTime(year: civil.year, month: civil.month, day: civil.day, hour: civil.hour, minute: civil.minute,
                                 second: civil.second, microsecond: micros, zoneOffset: 0)
            }
        }
        // logfmt (Go slog, logrus, Heroku): `time=2026-11-23T13:00:00Z level=…`, also `ts=` and `t=`.
        for key in ["time=", "ts=", "t=", "timestamp="] where bytes.count > key.utf8.count + 10 {
            if UnsafeRawBufferPointer(rebasing: bytes[0..<key.utf8.count]).elementsEqual(key.utf8) {
                var i = key.utf8.count
                if at(i) == 0x22 { i += 1 }  // time="…"
                if let (t, _, _) = iso8601(i) { return t }
            }
        }
        if at(0) == 0x5B {  // [
            if let (t, _, _) = iso8601(1) { return t }
            if let (t, _) = ctime(1) { return t }
            if let (t, _) = clf(1) { return t }
        }
        // Access logs: `host ident user [10/Oct/2000:13:55:36 -0700] "GET …`.
        let limit = min(bytes.count, 160)
        var i = 1
        while i < limit {
            if at(i) == 0x5B && at(i - 1) == 0x20, let (t, _) = clf(i + 1) { return t }
            i += 1
        }
        return nil
    }
}
