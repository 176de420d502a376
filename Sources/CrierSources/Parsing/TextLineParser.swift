public import CrierCore

/// Parses one plain text line into a `RecordView`: RFC 3164 and RFC 5424 syslog (month
/// names of other locales too, as `journalctl` writes them), the ISO-8601 prefix of
/// rsyslog's high-precision format, the timestamp-less `host ident[pid]: message` of
/// journal exports, the kernel ring buffer (`dmesg`, `-T`, `-r`), container prefixes
/// (docker compose, `kubectl logs --prefix`, `docker logs -t`, Kubernetes CRI) around any
/// of these, and bare application lines (whose timestamp is looked for at the start: ISO,
/// `[…]`, Apache, access log, Spark). Prefixes that programs write themselves are taken
/// off by `refine` (TextLineParser+Prefixes).
public struct TextLineParser {
    public var zone: LocalTimeConverter
    public var years: YearInference
    /// Fields of the current line (a container's name, logfmt keys, a level…).
    let fields = TextFieldBuffer()
    /// The first 16 bytes of the last ISO-8601 prefix and its minute, as civil seconds.
    private var minuteKey: (UInt64, UInt64) = (0, 0)
    private var minuteCivilSeconds: Int64 = 0

    public init(zone: ZonePolicy = .local, years: YearInference) {
        self.zone = LocalTimeConverter(policy: zone)
        self.years = years
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, lineNumber: Int) -> RecordView {
        fields.reset(reserving: line.count)
        // Colour codes (docker compose and uvicorn on a terminal) would split every prefix.
        let line = line.firstOffset(of: 0x1B) == nil ? line : fields.withoutColour(line)
        var (view, frame) = self.frame(line, lineNumber: lineNumber, depth: 0)
        refine(&view, frame: frame)
        view.fields = fields.buffer
        return view
    }

    /// The frame around the program's text: syslog, journal, container and kernel
    /// prefixes, or none. `depth` counts the container prefixes already taken off.
    mutating func frame(_ line: UnsafeRawBufferPointer, lineNumber: Int, depth: Int) -> (RecordView, Frame) {
        var view = RecordView(line: lineNumber, format: .text, timestamp: nil, message: line)
        let scan = TimestampScanner(bytes: line)
        var i = 0
        if scan.at(0) == 0x3C {  // <PRI>
            var j = 1
            while j < 5 && scan.isDigit(j) { j += 1 }
            if j > 1 && scan.at(j) == 0x3E {
                i = j + 1
                if scan.at(i) == 0x31 && scan.at(i + 1) == 0x20, parseRFC5424(line, from: i + 2, into: &view) {
                    return (view, .framed)
                }
                if kernelRing(line, at: i, into: &view) { return (view, .framed) }  // dmesg -r
            }
        }
        if i == 0 && depth < 2, let inner = orchestratorPrefix(line, lineNumber: lineNumber, depth: depth) {
            return inner
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
                    if line[hostEnd - 1] == 0x3A, parseIdent(line, from: j + 1, into: &view, strict: true) {
                        return (view, .framed)
                    }
                    view.host = slice(line, j + 1, hostEnd)
                    if !parseIdent(line, from: skipFacility(line, hostEnd + 1), into: &view) {
                        view.message = slice(line, min(hostEnd + 1, line.count), line.count)
                    }
                    return (view, .framed)
                }
            }
            view.message = slice(line, min(j + 1, line.count), line.count)
            return (view, .framed)
        }
        if i == 0 && scan.at(0) == 0x5B {
            if kernelRing(line, at: 0, into: &view) { return (view, .framed) }
            // `dmesg -T` (any locale) or an Apache error log: `[ctime] [module:level] …`.
            if let (civil, end) = scan.anyCtime(1), scan.at(end) == 0x5D, scan.at(end + 1) == 0x20 {
                view.timestamp = instant(civil)
                view.message = slice(line, end + 2, line.count)
                if Self.startsWithApacheLevel(view.message) { return (view, .apache) }
                view.ident = TextFieldBuffer.bytes(of: Self.kernelIdent)
                return (view, .framed)
            }
        }
        if i == 0, let (civil, end) = scan.ctime(0), scan.at(end) == 0x20 {
            // OpenWrt `logread`: `Mon Nov 23 10:00:00 2026 authpriv.warn dropbear[1234]: …` (no host).
            let identStart = skipFacility(line, end + 1)
            if parseIdent(line, from: identStart, into: &view, strict: true) {
                view.timestamp = instant(civil)
                return (view, .framed)
            }
            // uWSGI's `Wed Jul 27 07:25:07 2016 - *** HARAKIRI ON WORKER 9 …`.
            if scan.at(end + 1) == 0x2D && scan.at(end + 2) == 0x20 {
                view.timestamp = instant(civil)
                view.message = slice(line, end + 3, line.count)
                return (view, .framed)
            }
        }
        if let (stamp, end, hasT) = isoPrefix(line, scan, at: i), hasT, scan.at(end) == 0x20 {
            if i == 0 && depth < 2, let inner = timestampedContainerLine(line, stamp: stamp, end: end,
                                                                         lineNumber: lineNumber, depth: depth) {
                return inner
            }
            let hostEnd = tokenEnd(line, from: end + 1)
            if hostEnd > end + 1 && isHostname(line, end + 1, hostEnd) {
                // parseIdent only writes the view when it succeeds; host is undone otherwise.
                view.host = slice(line, end + 1, hostEnd)
                if parseIdent(line, from: hostEnd + 1, into: &view) {
                    view.timestamp = stamp
                    return (view, .framed)
                }
                view.host = UnsafeRawBufferPointer(start: nil, count: 0)
            }
            // Heroku's router: `2024-12-08T16:32:47.618296+00:00 app[web.1]: …` (no host).
            if parseIdent(line, from: end + 1, into: &view, strict: true), !view.pid.isEmpty {
                view.timestamp = stamp
                return (view, .framed)
            }
            view = RecordView(line: lineNumber, format: .text, timestamp: nil, message: line)
        }
        if i == 0 {
            // `host ident[pid]: message` without a timestamp (`ERROR app.db: …` is a level and
            // a logger).
            let hostEnd = tokenEnd(line, from: 0)
            if hostEnd > 0 && hostEnd < line.count && isHostname(line, 0, hostEnd),
               Self.pythonLevelName(line, at: 0)?.0 != hostEnd {
                view.host = slice(line, 0, hostEnd)
                // `fatal error: …` (Go, compilers) is no host `fatal` and program `error`.
                if parseIdent(line, from: hostEnd + 1, into: &view, strict: true),
                   !view.pid.isEmpty || !Self.isSeverityWord(view.ident) {
                    return (view, .framed)
                }
                view = RecordView(line: lineNumber, format: .text, timestamp: nil, message: line)
            }
        }
        // A bare application line: the whole line is the message.
        if let civil = scan.loose() { view.timestamp = instant(civil) }
        return (view, .bare)
    }

    static func isSeverityWord(_ w: UnsafeRawBufferPointer) -> Bool {
        guard w.count >= 4 && w.count <= 8 else { return false }
        var lower: UInt64 = 0
        for (k, c) in w.enumerated() { lower |= UInt64(c | 0x20) << (8 * UInt64(k)) }
        return severityWords.contains(lower)
    }

    /// error, warning, warn, info, debug, notice, fatal, critical, packed like MonthNames.
    private static let severityWords: Set<UInt64> = Set(["error", "warning", "warn", "info", "debug", "notice", "fatal",
                                                         "critical"].map { name in
        name.utf8.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    })

    static func startsWithApacheLevel(_ m: UnsafeRawBufferPointer) -> Bool {
        guard m.count > 3, m[0] == 0x5B, let close = m.firstOffset(of: 0x5D), close < 40 else { return false }
        var from = 1
        for k in 1..<close where m[k] == 0x3A { from = k + 1 }
        return isApacheLevel(m, from, close)
    }

    /// An ISO-8601 prefix, with the minute remembered: consecutive lines nearly always share
    /// `YYYY-MM-DDTHH:MM`, so only the seconds, fraction and zone are read again.
    mutating func isoPrefix(_ line: UnsafeRawBufferPointer, _ scan: TimestampScanner, at i: Int)
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

    mutating func instant(civilSeconds: Int64, microsecond: Int, zoneOffset: Int?) -> Timestamp {
        if let offset = zoneOffset {
            return Timestamp(seconds: civilSeconds - Int64(offset), microseconds: Int64(microsecond))
        }
        return zone.instant(civilSeconds: civilSeconds, microseconds: Int64(microsecond))
    }

    mutating func instant(_ t: CivilTime) -> Timestamp {
        instant(civilSeconds: t.civilSeconds, microsecond: t.microsecond, zoneOffset: t.zoneOffset)
    }

    /// `ident[pid]: ` or `ident: ` at `from`; sets ident, pid and message. `strict` (no
    /// timestamp before it) wants a plain ident, so that "Note: …" stays a bare message.
    func parseIdent(_ line: UnsafeRawBufferPointer, from: Int, into view: inout RecordView,
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
    func skipFacility(_ line: UnsafeRawBufferPointer, _ from: Int) -> Int {
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

    func tokenEnd(_ line: UnsafeRawBufferPointer, from: Int) -> Int {
        var k = from
        while k < line.count && line[k] != 0x20 { k += 1 }
        return k
    }

    func isHostname(_ line: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
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

    @inline(__always) func slice(_ line: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[from..<max(from, to)])
    }
}
