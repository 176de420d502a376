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

/// Parses one plain text line into a `RecordView`: RFC 3164 and RFC 5424 syslog, the
/// ISO-8601 prefix of rsyslog's high-precision format, the timestamp-less
/// `host ident[pid]: message` of journal exports, and bare application lines (whose
/// timestamp is looked for at the start: ISO, `[…]`, Apache, access log, Spark).
public struct TextLineParser {
    public var zone: LocalTimeConverter
    public var years: YearInference
    /// The first 16 bytes of the last ISO-8601 prefix and its minute, as civil seconds.
    private var minuteKey: (UInt64, UInt64) = (0, 0)
    private var minuteCivilSeconds: Int64 = 0

    public init(zone: ZonePolicy = .local, years: YearInference) {
        self.zone = LocalTimeConverter(policy: zone)
        self.years = years
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, lineNumber: Int) -> RecordView {
        var view = RecordView(line: lineNumber, format: .text, timestamp: nil, message: line)
        let scan = TimestampScanner(bytes: line)
        var i = 0
        if scan.at(0) == 0x3C {  // <PRI>
            var j = 1
            while j < 5 && scan.isDigit(j) { j += 1 }
            if j > 1 && scan.at(j) == 0x3E {
                i = j + 1
                if scan.at(i) == 0x31 && scan.at(i + 1) == 0x20, parseRFC5424(line, from: i + 2, into: &view) {
                    return view
                }
            }
        }
        if let t = scan.rfc3164(i) {
            let year = years.year(month: t.month, day: t.day)
            let civil = CivilTime(year: year, month: t.month, day: t.day, hour: t.hour, minute: t.minute,
                                  second: t.second)
            view.timestamp = instant(civil)
            var j = t.end
            if scan.at(j) == 0x2E || scan.at(j) == 0x2C { j = scan.fraction(j).1 }  // `Dec 10 06:55:46.123`
            if scan.at(j) == 0x20 {
                let hostEnd = tokenEnd(line, from: j + 1)
                if hostEnd > j + 1 {
                    // No host at all (`Feb 11 15:23:17 dropbear[1252]: …`, local syslogd -n).
                    if line[hostEnd - 1] == 0x3A, parseIdent(line, from: j + 1, into: &view, strict: true) { return view }
                    view.host = slice(line, j + 1, hostEnd)
                    if !parseIdent(line, from: skipFacility(line, hostEnd + 1), into: &view) {
                        view.message = slice(line, min(hostEnd + 1, line.count), line.count)
                    }
                    return view
                }
            }
            view.message = slice(line, min(j + 1, line.count), line.count)
            return view
        }
        // OpenWrt `logread`: `Mon Nov 23 10:00:00 2026 authpriv.warn dropbear[1234]: …` (no host).
        if i == 0, let (civil, end) = scan.ctime(0), scan.at(end) == 0x20 {
            let identStart = skipFacility(line, end + 1)
            if parseIdent(line, from: identStart, into: &view, strict: true) {
                view.timestamp = instant(civil)
                return view
            }
        }
        if let (stamp, end, hasT) = isoPrefix(line, scan, at: i), hasT, scan.at(end) == 0x20 {
            // Kubernetes CRI container logs: `<RFC3339Nano> stdout|stderr F|P <message>`.
            let rest = UnsafeRawBufferPointer(rebasing: line[(end + 1)...])
            if rest.count >= 9, rest.hasPrefix("stdout ") || rest.hasPrefix("stderr "),
               rest[7] == UInt8(ascii: "F") || rest[7] == UInt8(ascii: "P"), rest[8] == 0x20 {
                view.timestamp = stamp
                view.message = slice(line, end + 10, line.count)
                return view
            }
            let hostEnd = tokenEnd(line, from: end + 1)
            if hostEnd > end + 1 && isHostname(line, end + 1, hostEnd) {
                // parseIdent only writes the view when it succeeds; host is undone otherwise.
                view.host = slice(line, end + 1, hostEnd)
                if parseIdent(line, from: hostEnd + 1, into: &view) {
                    view.timestamp = stamp
                    return view
                }
                view.host = UnsafeRawBufferPointer(start: nil, count: 0)
            }
        }
        if i == 0 {
            // `host ident[pid]: message` without a timestamp.
            let hostEnd = tokenEnd(line, from: 0)
            if hostEnd > 0 && hostEnd < line.count && isHostname(line, 0, hostEnd) {
                view.host = slice(line, 0, hostEnd)
                if parseIdent(line, from: hostEnd + 1, into: &view, strict: true) { return view }
                view.host = UnsafeRawBufferPointer(start: nil, count: 0)
            }
        }
        // A bare application line: the whole line is the message.
        if let civil = scan.loose() { view.timestamp = instant(civil) }
        return view
    }

    /// An ISO-8601 prefix, with the minute remembered: consecutive lines nearly always share
    /// `YYYY-MM-DDTHH:MM`, so only the seconds, fraction and zone are read again.
    private mutating func isoPrefix(_ line: UnsafeRawBufferPointer, _ scan: TimestampScanner, at i: Int)
        -> (Timestamp, end: Int, hasT: Bool)?
    {
        let cacheable = i == 0 && line.count >= 19 && line[13] == 0x3A && line[16] == 0x3A
        if cacheable {
            let key = (line.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                       line.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            if key == minuteKey, let second = scan.digits(17, 2), second <= 60 {
                let (micros, afterFraction) = scan.fraction(19)
                let (zone, end) = scan.zone(afterFraction)
                let civil = minuteCivilSeconds + Int64(second)
                return (instant(civilSeconds: civil, microsecond: micros, zoneOffset: zone), end, line[10] != 0x20)
            }
        }
        guard let (civil, end, hasT) = scan.iso8601(i) else { return nil }
        if cacheable {
            minuteKey = (line.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                         line.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            minuteCivilSeconds = civil.civilSeconds - Int64(civil.second)
        }
        return (instant(civil), end, hasT)
    }

    private mutating func instant(civilSeconds: Int64, microsecond: Int, zoneOffset: Int?) -> Timestamp {
        if let offset = zoneOffset {
            return Timestamp(seconds: civilSeconds - Int64(offset), microseconds: Int64(microsecond))
        }
        return zone.instant(civilSeconds: civilSeconds, microseconds: Int64(microsecond))
    }

    private mutating func instant(_ t: CivilTime) -> Timestamp {
        instant(civilSeconds: t.civilSeconds, microsecond: t.microsecond, zoneOffset: t.zoneOffset)
    }

    /// `ident[pid]: ` or `ident: ` at `from`; sets ident, pid and message. `strict` (no
    /// timestamp before it) wants a plain ident, so that "Note: …" stays a bare message.
    private func parseIdent(_ line: UnsafeRawBufferPointer, from: Int, into view: inout RecordView,
                            strict: Bool = false) -> Bool {
        let n = line.count
        var k = from
        while k < n {
            let c = line[k]
            if c == 0x20 || c == 0x5B || c == 0x3A || c == 0x09 { break }
            if strict && !(isAlnum(c) || c == 0x2D || c == 0x5F || c == 0x2E || c == 0x2F || c == 0x28 || c == 0x29 || c == 0x40) {
                return false
            }
            k += 1
        }
        guard k > from, k < n else { return false }
        let identEnd = k
        var pid = UnsafeRawBufferPointer(start: nil, count: 0)
        if line[k] == 0x5B {  // [pid]
            let pidStart = k + 1
            var j = pidStart
            while j < n && line[j] != 0x5D && line[j] != 0x20 && j - pidStart < 32 { j += 1 }
            guard j < n, line[j] == 0x5D, j > pidStart else { return false }
            pid = slice(line, pidStart, j)
            k = j + 1
        }
        guard k < n, line[k] == 0x3A else { return false }
        k += 1
        if k < n {
            guard line[k] == 0x20 || line[k] == 0x09 else { return false }
            k += 1
        }
        view.ident = slice(line, from, identEnd)
        view.pid = pid
        view.message = slice(line, k, n)
        unwrapRepeated(&view)
        return true
    }

    /// rsyslog folds duplicates into "message repeated 5 times: [ Failed password …]": match
    /// the inner message and count it five times.
    private func unwrapRepeated(_ view: inout RecordView) {
        let m = view.message
        guard m.count > 30, m[0] == 0x6D, m.hasPrefix("message repeated ") else { return }
        var i = 17
        var n = 0
        while i < m.count, m[i] >= 0x30, m[i] <= 0x39, n < 1_000_000_000 {
            n = n * 10 + Int(m[i] - 0x30)
            i += 1
        }
        let rest = UnsafeRawBufferPointer(rebasing: m[i...])
        guard n > 0, rest.hasPrefix(" times: ["), m.last == 0x5D else { return }
        var start = i + 9
        if start < m.count && m[start] == 0x20 { start += 1 }
        guard start < m.count - 1 else { return }
        view.message = UnsafeRawBufferPointer(rebasing: m[start..<(m.count - 1)])
        view.repeats = n
    }

    /// RFC 5424 after `<PRI>1 `: TIMESTAMP HOST APP PROCID MSGID SD [MSG].
    private mutating func parseRFC5424(_ line: UnsafeRawBufferPointer, from: Int, into view: inout RecordView) -> Bool {
        var fields: [UnsafeRawBufferPointer] = []
        var k = from
        for _ in 0..<5 {
            let end = tokenEnd(line, from: k)
            guard end > k else { return false }
            fields.append(slice(line, k, end))
            k = end + 1
        }
        let scan = TimestampScanner(bytes: fields[0])
        if let (civil, _, _) = scan.iso8601(0) { view.timestamp = instant(civil) }
        let nilValue: (UnsafeRawBufferPointer) -> UnsafeRawBufferPointer = {
            $0.count == 1 && $0[0] == 0x2D ? UnsafeRawBufferPointer(start: nil, count: 0) : $0
        }
        view.host = nilValue(fields[1])
        view.ident = nilValue(fields[2])
        view.pid = nilValue(fields[3])
        // Structured data: `-` or one or more `[id k="v" …]` (values may escape `]`).
        let n = line.count
        if k < n && line[k] == 0x2D {
            k += 1
        } else {
            while k < n && line[k] == 0x5B {
                var inQuotes = false
                k += 1
                while k < n {
                    let c = line[k]
                    if c == 0x5C { k += 2; continue }
                    if c == 0x22 { inQuotes.toggle() }
                    if c == 0x5D && !inQuotes { break }
                    k += 1
                }
                k += 1
            }
        }
        if k < n && line[k] == 0x20 { k += 1 }
        if k + 3 <= n && line[k] == 0xEF && line[k + 1] == 0xBB && line[k + 2] == 0xBF { k += 3 }  // BOM
        view.message = slice(line, min(k, n), n)
        return true
    }

    /// BusyBox syslogd and OpenWrt put `facility.level` before the program:
    /// `host authpriv.warn dropbear[1234]: …`. Returns where the program starts.
    private func skipFacility(_ line: UnsafeRawBufferPointer, _ from: Int) -> Int {
        let end = tokenEnd(line, from: from)
        guard end > from + 2, end < line.count else { return from }
        var dot = -1
        for k in from..<end {
            let c = line[k]
            if c == 0x2E { if dot >= 0 { return from }; dot = k } else if !((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || (c >= 0x30 && c <= 0x39)) {
                return from
            }
        }
        guard dot > from, dot < end - 1 else { return from }
        let levels = ["emerg", "alert", "crit", "err", "error", "warn", "warning", "notice", "info", "debug", "panic"]
        let level = String(decoding: UnsafeRawBufferPointer(rebasing: line[(dot + 1)..<end]), as: UTF8.self).lowercased()
        return levels.contains(level) ? end + 1 : from
    }

    private func tokenEnd(_ line: UnsafeRawBufferPointer, from: Int) -> Int {
        var k = from
        while k < line.count && line[k] != 0x20 { k += 1 }
        return k
    }

    private func isHostname(_ line: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
        guard to - from <= 253, isAlnum(line[from]) else { return false }
        for k in from..<to {
            let c = line[k]
            if !(isAlnum(c) || c == 0x2D || c == 0x2E || c == 0x5F) { return false }
        }
        return true
    }

    @inline(__always) private func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A)
    }

    @inline(__always) private func slice(_ line: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[from..<max(from, to)])
    }
}
