import CrierCore

/// logfmt application lines (logrus, Go `log/slog`, python-logfmter, Heroku):
/// `time="2022-12-11T19:55:28-08:00" level=fatal msg="listen tcp :60022: bind: …" caller=…`.
/// Every pair becomes a field; `msg`/`message` becomes the message, unescaped.
extension TextLineParser {
    /// A line is logfmt when it is `key=value` pairs from its start and names a level or a
    /// time (`level`, `lvl`, `at`, `severity`; `time`, `ts`, `t`, `timestamp`): a Linux audit
    /// record (`type=… msg=audit(…)`) or a job's `job=… status=…` line keeps its text.
    mutating func logfmt(_ view: inout RecordView) {
        let m = view.message
        guard m.count > 4 else { return }
        let firstKey = Self.keyEnd(m, from: 0)
        guard firstKey > 0, firstKey < m.count, m[firstKey] == 0x3D else { return }
        let mark = fields.mark
        var message: UnsafeRawBufferPointer?
        var levelFromAt: UnsafeRawBufferPointer?
        var hasLevelOrTime = false
        var i = 0
        while i < m.count {
            while i < m.count && m[i] == 0x20 { i += 1 }
            if i == m.count { break }
            let keyEnd = Self.keyEnd(m, from: i)
            guard keyEnd > i, keyEnd < m.count, m[keyEnd] == 0x3D else {
                fields.rollback(to: mark)
                return
            }
            let key = slice(m, i, keyEnd)
            var value: UnsafeRawBufferPointer
            if keyEnd + 1 < m.count && m[keyEnd + 1] == 0x22 {
                guard let (v, end) = quoted(m, from: keyEnd + 1) else {
                    fields.rollback(to: mark)
                    return
                }
                value = v
                i = end
            } else {
                let end = Self.bareValueEnd(m, from: keyEnd + 1)
                value = slice(m, keyEnd + 1, end)
                i = end
            }
            fields.append(key: key, value: value)
            switch Self.role(of: key) {
            case .message: if message == nil { message = value }
            case .level: hasLevelOrTime = true
            case .at: hasLevelOrTime = true; levelFromAt = value
            case .time: hasLevelOrTime = true
            case .other: break
            }
        }
        guard hasLevelOrTime else {
            fields.rollback(to: mark)
            return
        }
        if let level = levelFromAt { fields.append("level", level) }
        if let message { view.message = message }
    }

    private enum Role { case message, level, at, time, other }

    private static func role(of key: UnsafeRawBufferPointer) -> Role {
        switch key.count {
        case 1: return key[0] == 0x74 ? .time : .other  // t
        case 2: return key.hasPrefix("ts") ? .time : key.hasPrefix("at") ? .at : .other
        case 3: return key.hasPrefix("msg") ? .message : key.hasPrefix("lvl") ? .level : .other
        case 4: return key.hasPrefix("time") ? .time : .other
        case 5: return key.hasPrefix("level") ? .level : .other
        case 7: return key.hasPrefix("message") ? .message : .other
        case 8: return key.hasPrefix("severity") ? .level : .other
        case 9: return key.hasPrefix("timestamp") ? .time : .other
        default: return .other
        }
    }

    /// A key: a letter or `_`, then letters, digits, `_`, `.`, `-`.
    private static func keyEnd(_ m: UnsafeRawBufferPointer, from: Int) -> Int {
        guard from < m.count else { return from }
        let c = m[from]
        guard (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || c == 0x5F else { return from }
        var k = from + 1
        while k < m.count && k - from < 64 {
            let c = m[k]
            guard (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2E || c == 0x2D
            else { break }
            k += 1
        }
        return k
    }

    /// An unquoted value runs to the next ` key=`: logrus leaves values with spaces
    /// unquoted when it thinks them safe (`err=&{0x2082280c0 map[a:b] …} number=100`).
    private static func bareValueEnd(_ m: UnsafeRawBufferPointer, from: Int) -> Int {
        var k = from
        while true {
            guard let space = m.firstOffset(of: 0x20, from: k) else { return m.count }
            var next = space
            while next < m.count && m[next] == 0x20 { next += 1 }
            if next == m.count { return space }
            let keyEnd = keyEnd(m, from: next)
            if keyEnd > next && keyEnd < m.count && m[keyEnd] == 0x3D { return space }
            k = next
        }
    }

    /// A `"…"` value at `from` (the quote): its text, unescaped into the field buffer when
    /// it holds `\`, and the position after the closing quote.
    private func quoted(_ m: UnsafeRawBufferPointer, from: Int) -> (UnsafeRawBufferPointer, Int)? {
        var k = from + 1
        var escaped = false
        while k < m.count && m[k] != 0x22 {
            if m[k] == 0x5C { escaped = true; k += 1 }
            k += 1
        }
        guard k < m.count else { return nil }
        let raw = slice(m, from + 1, k)
        guard escaped, let out = fields.reserve(raw.count) else { return (raw, k + 1) }
        var n = 0
        var i = 0
        while i < raw.count {
            var c = raw[i]
            if c == 0x5C && i + 1 < raw.count {
                i += 1
                switch raw[i] {
                case 0x6E: c = 0x0A  // \n
                case 0x74: c = 0x09  // \t
                case 0x72: c = 0x0D  // \r
                case 0x22, 0x5C: c = raw[i]
                default:
                    out[n] = 0x5C
                    n += 1
                    c = raw[i]
                }
            }
            out[n] = c
            n += 1
            i += 1
        }
        fields.shrinkLast(by: raw.count - n)
        return (UnsafeRawBufferPointer(rebasing: out[0..<n]), k + 1)
    }
}
