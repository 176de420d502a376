import CrierCore

/// The kernel's own lines: the ring buffer as `dmesg` prints it (and `journalctl -o
/// short-monotonic`), the uptime stamp rsyslog/klogd keep in a syslog message, and the
/// user program a segfault line names.
extension TextLineParser {
    static let kernelIdent: StaticString = "kernel"

    /// The kernel ring buffer as `dmesg` prints it: `[  518.050606] msg` (ident `kernel`),
    /// and `journalctl -o short-monotonic`: `[  518.050606] web01 kernel: msg`. Programs
    /// writing to /dev/kmsg keep their `ident[pid]: ` (`systemd[1]: …`).
    mutating func kernelRing(_ line: UnsafeRawBufferPointer, at i: Int, into view: inout RecordView) -> Bool {
        guard let start = Self.uptimeStamp(line, at: i) else { return false }
        let rest = slice(line, min(start, line.count), line.count)
        var probe = view
        let hostEnd = tokenEnd(rest, from: 0)
        if hostEnd > 0 && hostEnd < rest.count && isHostname(rest, 0, hostEnd),
           parseIdent(rest, from: hostEnd + 1, into: &probe, strict: true),
           !probe.pid.isEmpty || (probe.ident.count == 6 && probe.ident.hasPrefix("kernel")) {
            probe.host = slice(rest, 0, hostEnd)
            view = probe
            return true
        }
        view.ident = TextFieldBuffer.bytes(of: Self.kernelIdent)
        view.message = rest
        takeSegfaultingProgram(&view)
        if view.ident.count == 6 && view.ident.hasPrefix("kernel") {
            probe = view
            if parseIdent(rest, from: 0, into: &probe, strict: true), !probe.pid.isEmpty { view = probe }
        }
        return true
    }

    /// `[  518.050606] msg` kept in the message by rsyslog/klogd loses its stamp; a user
    /// program's `comm[pid]: segfault at …` names the program (ident and pid), message kept.
    func kernelMessage(_ view: inout RecordView) {
        let m = view.message
        if let end = Self.uptimeStamp(m, at: 0) {
            view.message = slice(m, min(end, m.count), m.count)
        }
        takeSegfaultingProgram(&view)
    }

    func takeSegfaultingProgram(_ view: inout RecordView) {
        let m = view.message
        // `comm` is at most 15 bytes (TASK_COMM_LEN) and may hold spaces; pids are short.
        let limit = min(m.count, 40)
        var k = 1
        while k < limit, m[k] != 0x5B { k += 1 }
        guard k < limit else { return }
        var j = k + 1
        while j < m.count, m[j] >= 0x30 && m[j] <= 0x39 { j += 1 }
        guard j > k + 1, UnsafeRawBufferPointer(rebasing: m[j...]).hasPrefix("]: segfault at ") else { return }
        view.ident = slice(m, 0, k)
        view.pid = slice(m, k + 1, j)
    }

    /// fail2ban's `__kernel_prefix`: `kernel:[  970.699396]: ` or `kernel: [  970.6] ` at the
    /// start of another program's message.
    func stripKernelStamp(_ view: inout RecordView) {
        let m = view.message
        guard m.hasPrefix("kernel:") else { return }
        var i = 7
        if i < m.count && m[i] == 0x20 { i += 1 }
        guard let end = Self.uptimeStamp(m, at: i, needsSpace: false) else { return }
        var k = end
        if k < m.count && m[k] == 0x3A { k += 1 }
        while k < m.count && m[k] == 0x20 { k += 1 }
        view.message = slice(m, k, m.count)
    }

    /// `[  123.456789]` (also `[+0.000123]`, dmesg's reltime) at `i`: where the message
    /// after it starts (past one space when `needsSpace`).
    static func uptimeStamp(_ b: UnsafeRawBufferPointer, at i: Int, needsSpace: Bool = true) -> Int? {
        guard i < b.count, b[i] == 0x5B else { return nil }
        var k = i + 1
        while k < b.count && b[k] == 0x20 { k += 1 }
        if k < b.count && b[k] == 0x2B { k += 1 }
        let digits = k
        while k < b.count && b[k] >= 0x30 && b[k] <= 0x39 { k += 1 }
        guard k > digits, k < b.count, b[k] == 0x2E else { return nil }
        k += 1
        let fraction = k
        while k < b.count && b[k] >= 0x30 && b[k] <= 0x39 { k += 1 }
        guard k > fraction, k < b.count, b[k] == 0x5D else { return nil }
        k += 1
        if k == b.count { return k }
        if b[k] == 0x20 { return k + 1 }
        return needsSpace ? nil : k
    }
}
