// Writes N journal entries in export format to stdout (realistic fields, ~3% alerts), for
// systemd-journal-remote to turn into a journal for the replay benchmark.
import Glibc

let total = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 1_000_000
var out: [UInt8] = []
out.reserveCapacity(1 << 22)
var state: UInt64 = 42
func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
func flush() { out.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }; out.removeAll(keepingCapacity: true) }
let base: Int64 = 1_795_420_800_000_000
for i in 0..<total {
    let message: String
    let unit: String
    let ident: String
    switch next() % 100 {
    case 0: message = "Failed password for invalid user admin from 203.0.113.\(next() % 50) port \(next() % 60000) ssh2"; unit = "ssh.service"; ident = "sshd"
    case 1: message = "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.\(next() % 50)  user=root"; unit = "ssh.service"; ident = "sshd"
    case 2: message = "[2026-11-23 10:15:00,204: ERROR/ForkPoolWorker-2] Task render.tasks.x[\(i)] raised unexpected: TimeoutError('t')"; unit = "celery.service"; ident = "celery"
    default: message = "INFO request_id=\(next()) GET /api/v1/jobs/\(next() % 1000) completed in \(next() % 900)ms"; unit = "app.service"; ident = "app"
    }
    let entry = "__REALTIME_TIMESTAMP=\(base + Int64(i) * 20_000)\n__MONOTONIC_TIMESTAMP=\(1_000_000 + Int64(i) * 20_000)\n"
        + "_BOOT_ID=4f0c2d1e2f3a4b5c6d7e8f9a0b1c2d3e\n_MACHINE_ID=0a1b2c3d4e5f60718293a4b5c6d7e8f9\n_HOSTNAME=worker-1\n"
        + "PRIORITY=6\nSYSLOG_FACILITY=3\n_UID=1000\n_GID=1000\n_COMM=\(ident)\n_EXE=/usr/bin/\(ident)\n"
        + "_CMDLINE=/usr/bin/\(ident) --worker\n_SYSTEMD_CGROUP=/system.slice/\(unit)\n_SYSTEMD_UNIT=\(unit)\n"
        + "_SYSTEMD_SLICE=system.slice\n_TRANSPORT=stdout\nSYSLOG_IDENTIFIER=\(ident)\n_PID=\(1000 + i % 7)\n"
        + "_STREAM_ID=5d1c2b3a49586776\nMESSAGE=\(message)\n\n"
    out.append(contentsOf: entry.utf8)
    if out.count > (1 << 22) - 4096 { flush() }
}
flush()
