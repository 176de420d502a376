import CrierCore

/// What programs put in front of their own message, inside whatever frame carried it
/// (syslog, a container log, a bare file): the kernel's uptime stamp, Apache's error-log
/// prefix, gunicorn's `[time] [pid] [LEVEL]`, Python logging's `LEVEL:logger:` forms and
/// logfmt. They are taken off so that rules see the message itself, and what they say
/// becomes fields (`level`, `logger`, `module`, `client`…).
extension TextLineParser {
    static let httpdIdent: StaticString = "httpd"

    /// How the message was framed, which decides what may be taken for a prefix.
    enum Frame {
        /// Syslog, journal or container framing found; the message is the program's text.
        case framed
        /// Nothing but the line: its timestamp, if any, was guessed by `loose()`.
        case bare
        /// An Apache error log's `[ctime] ` was taken off; `[module:level] …` follows.
        case apache
    }

    mutating func refine(_ view: inout RecordView, frame: Frame) {
        guard !view.message.isEmpty else { return }
        if view.ident.count == 6 && view.ident.hasPrefix("kernel") {
            kernelMessage(&view)
            return
        }
        if view.message[0] == 0x6B { stripKernelStamp(&view) }  // sshd[1]: kernel: [  970.1] Failed …
        let first = view.message[0]
        if first == 0x5B {  // [
            if apachePrefix(&view, dated: frame == .apache) { return }
            if gunicornPrefix(&view, bare: frame == .bare) { return }
            if bracketedLevel(&view) { return }
        } else if first >= 0x30 && first <= 0x39 {
            if gunicornPrefix(&view, bare: frame == .bare) { return }
        } else if first >= 0x41 && first <= 0x5A {
            if pythonLevel(&view) { return }
        }
        logfmt(&view)
    }

    // MARK: - Apache

    /// `[module:level] [pid N:tid M] file.c(N): [client|remote ip:port] msg, referer: url`
    /// (2.4), `[level] [client ip] msg` (2.2); mod_wsgi writes every traceback line with it,
    /// so the pid makes them one stream. Undated (ErrorLog to syslog) only with a `[pid`.
    private mutating func apachePrefix(_ view: inout RecordView, dated: Bool) -> Bool {
        let m = view.message
        var close = 1
        while close < m.count && close < 48 && m[close] != 0x5D && m[close] != 0x20 { close += 1 }
        guard close < m.count, m[close] == 0x5D else { return false }
        var colon = close
        for k in 1..<close where m[k] == 0x3A { colon = k }
        let levelStart = colon < close ? colon + 1 : 1
        guard Self.isApacheLevel(m, levelStart, close) else { return false }
        var i = close + 1
        guard i == m.count || m[i] == 0x20 else { return false }
        i += 1
        if !dated && !UnsafeRawBufferPointer(rebasing: m[min(i, m.count)...]).hasPrefix("[pid ") { return false }
        fields.append("level", slice(m, levelStart, close))
        if colon < close && colon > 1 { fields.append("module", slice(m, 1, colon)) }
        if let (inner, end) = bracket(m, at: i, tag: "pid ") {
            var k = inner
            while k < end && m[k] != 0x3A { k += 1 }
            if view.pid.isEmpty { view.pid = slice(m, inner, k) }
            if k < end, UnsafeRawBufferPointer(rebasing: m[k..<end]).hasPrefix(":tid ") {
                fields.append("tid", slice(m, k + 5, end))
            }
            i = end + 2
        }
        // LogLevel debug adds the source position: `mod_authz_core.c(809): `.
        var k = i
        while k < m.count && k < i + 40 && m[k] != 0x20 && m[k] != 0x28 { k += 1 }
        if k < m.count, m[k] == 0x28, k > i + 2, m[k - 2] == 0x2E, m[k - 1] == 0x63 {
            var j = k + 1
            while j < m.count && m[j] >= 0x30 && m[j] <= 0x39 { j += 1 }
            if j + 2 < m.count, m[j] == 0x29, m[j + 1] == 0x3A, m[j + 2] == 0x20 { i = j + 3 }
        }
        if let (inner, end) = bracket(m, at: i, tag: "client ") ?? bracket(m, at: i, tag: "remote ") {
            fields.append("client", slice(m, inner, end))
            i = end + 2
        }
        var end = m.count
        // mod_wsgi on Windows ends every line with a literal `\r`.
        if end - i >= 2 && m[end - 2] == 0x5C && m[end - 1] == 0x72 { end -= 2 }
        if let r = lastReferer(m, from: i, to: end) {
            fields.append("referer", slice(m, r.value, end))
            end = r.start
        }
        if view.ident.isEmpty { view.ident = TextFieldBuffer.bytes(of: Self.httpdIdent) }
        view.message = slice(m, min(i, end), end)
        return true
    }

    /// `[tag value]` at `i`: where the value starts and the `]` is.
    private func bracket(_ m: UnsafeRawBufferPointer, at i: Int, tag: StaticString) -> (Int, Int)? {
        guard i < m.count, m[i] == 0x5B, UnsafeRawBufferPointer(rebasing: m[(i + 1)...]).hasPrefix(tag) else { return nil }
        let inner = i + 1 + tag.utf8CodeUnitCount
        guard let end = m.firstOffset(of: 0x5D, from: inner), end + 1 == m.count || m[end + 1] == 0x20 else { return nil }
        return (inner, end)
    }

    private func lastReferer(_ m: UnsafeRawBufferPointer, from: Int, to: Int) -> (start: Int, value: Int)? {
        // `, referer: ` then one token to the end of the line.
        var k = to - 1
        while k > from && m[k] != 0x20 { k -= 1 }
        let marker = 11
        guard k - from >= marker - 1, k + 1 < to,
              UnsafeRawBufferPointer(rebasing: m[(k - marker + 1)...]).hasPrefix(", referer: ") else { return nil }
        return (k - marker + 1, k + 1)
    }

    static func isApacheLevel(_ m: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
        let level = UnsafeRawBufferPointer(rebasing: m[from..<to])
        switch level.count {
        case 4: return level.hasPrefix("crit") || level.hasPrefix("warn") || level.hasPrefix("info")
        case 5: return level.hasPrefix("emerg") || level.hasPrefix("alert") || level.hasPrefix("error") || level.hasPrefix("debug")
        case 6: return level.hasPrefix("notice") || (level.hasPrefix("trace") && level[5] >= 0x31 && level[5] <= 0x38)
        default: return false
        }
    }

    // MARK: - gunicorn and Python logging

    /// gunicorn's error log: `[2024-01-09 13:24:39 +0000] [1637] [CRITICAL] msg` (19.x and
    /// later) and `2010-07-28 23:01:19 [5869] [CRITICAL] msg` (0.x). The pid goes to a field:
    /// the traceback under an "Error handling request" line carries no prefix, and must stay
    /// in the same stream to fold.
    private mutating func gunicornPrefix(_ view: inout RecordView, bare: Bool) -> Bool {
        let m = view.message
        let scan = TimestampScanner(bytes: m)
        let open = m[0] == 0x5B ? 1 : 0
        guard let (civil, afterClock, hasT) = scan.iso8601(open), !hasT else { return false }
        var i = afterClock
        var zoneOffset = civil.zoneOffset
        if zoneOffset == nil && scan.at(i) == 0x20 && (scan.at(i + 1) == 0x2B || scan.at(i + 1) == 0x2D) {
            let (z, end) = scan.zone(i + 1)
            guard z != nil else { return false }
            zoneOffset = z
            i = end
        }
        if open == 1 {
            guard scan.at(i) == 0x5D else { return false }
            i += 1
        }
        guard scan.at(i) == 0x20, scan.at(i + 1) == 0x5B else { return false }
        var j = i + 2
        while scan.isDigit(j) { j += 1 }
        guard j > i + 2, scan.at(j) == 0x5D, scan.at(j + 1) == 0x20, scan.at(j + 2) == 0x5B else { return false }
        let pid = slice(m, i + 2, j)
        guard let (levelEnd, _) = Self.pythonLevelName(m, at: j + 3), scan.at(levelEnd) == 0x5D else { return false }
        fields.append("level", slice(m, j + 3, levelEnd))
        fields.append("pid", pid)
        if bare {
            var c = civil
            c.zoneOffset = zoneOffset
            view.timestamp = instant(c)
        }
        view.message = slice(m, min(levelEnd + 2, m.count), m.count)
        return true
    }

    /// `[ERROR] gunicorn.access: msg`, `[INFO] msg`.
    private mutating func bracketedLevel(_ view: inout RecordView) -> Bool {
        let m = view.message
        guard let (end, _) = Self.pythonLevelName(m, at: 1), end + 1 < m.count, m[end] == 0x5D, m[end + 1] == 0x20 else {
            return false
        }
        fields.append("level", slice(m, 1, end))
        view.message = slice(m, end + 2, m.count)
        takeLogger(&view)
        return true
    }

    /// `LEVEL:logger:msg` (logging.basicConfig), `LEVEL:     msg` (uvicorn, padded to ten
    /// columns), `LEVEL logger: msg` (a `%(levelname)s %(name)s:` format).
    private mutating func pythonLevel(_ view: inout RecordView) -> Bool {
        let m = view.message
        guard let (end, width) = Self.pythonLevelName(m, at: 0), end < m.count else { return false }
        if m[end] == 0x3A {
            var k = end + 1
            while k < m.count && m[k] == 0x20 { k += 1 }
            if k - end - 1 == 9 - width && k > end + 1 {  // uvicorn's levelprefix
                fields.append("level", slice(m, 0, end))
                view.message = slice(m, k, m.count)
                return true
            }
            let loggerEnd = Self.identifierEnd(m, from: end + 1, lowercaseOnly: false)
            guard loggerEnd > end + 1, loggerEnd < m.count, m[loggerEnd] == 0x3A else { return false }
            fields.append("level", slice(m, 0, end))
            fields.append("logger", slice(m, end + 1, loggerEnd))
            view.message = slice(m, loggerEnd + 1, m.count)
            return true
        }
        guard m[end] == 0x20 else { return false }
        let loggerEnd = Self.identifierEnd(m, from: end + 1, lowercaseOnly: true)
        guard loggerEnd > end + 1, loggerEnd + 1 < m.count, m[loggerEnd] == 0x3A, m[loggerEnd + 1] == 0x20 else { return false }
        fields.append("level", slice(m, 0, end))
        fields.append("logger", slice(m, end + 1, loggerEnd))
        view.message = slice(m, loggerEnd + 2, m.count)
        return true
    }

    /// A lower-case dotted logger name and `: ` at the start of the message.
    private mutating func takeLogger(_ view: inout RecordView) {
        let m = view.message
        let end = Self.identifierEnd(m, from: 0, lowercaseOnly: true)
        guard end > 0, end + 1 < m.count, m[end] == 0x3A, m[end + 1] == 0x20 else { return }
        fields.append("logger", slice(m, 0, end))
        view.message = slice(m, end + 2, m.count)
    }

    private static let levelNames: [StaticString] = ["CRITICAL", "WARNING", "ERROR", "DEBUG", "FATAL", "TRACE", "INFO", "WARN"]

    /// Python's level names (and WARN, FATAL, TRACE) at `i`: their end and length.
    static func pythonLevelName(_ m: UnsafeRawBufferPointer, at i: Int) -> (Int, Int)? {
        let rest = UnsafeRawBufferPointer(rebasing: m[min(i, m.count)...])
        guard let c = rest.first, c >= 0x43, c <= 0x57 else { return nil }  // C…W
        for name in levelNames where rest.hasPrefix(name) {
            let n = name.utf8CodeUnitCount
            let next = n < rest.count ? rest[n] : 0x20
            if (next >= 0x41 && next <= 0x5A) || (next >= 0x61 && next <= 0x7A) { continue }
            return (i + n, n)
        }
        return nil
    }

    static func identifierEnd(_ m: UnsafeRawBufferPointer, from: Int, lowercaseOnly: Bool) -> Int {
        guard from < m.count else { return from }
        let first = m[from]
        let lower = first >= 0x61 && first <= 0x7A
        guard lower || first == 0x5F || (!lowercaseOnly && first >= 0x41 && first <= 0x5A) else { return from }
        var k = from + 1
        while k < m.count && k - from < 128 {
            let c = m[k]
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2E || c == 0x2D
                || (!lowercaseOnly && c >= 0x41 && c <= 0x5A)
            if !ok { break }
            k += 1
        }
        return k
    }
}
