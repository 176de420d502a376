// Writes a deterministic syslog-style benchmark log to stdout (DESIGN: Benchmarks/).
// Usage: generate LINES
// Mix: ~97% noise (cron, systemd, kernel, nginx 2xx/3xx/4xx, Celery received/succeeded,
// app info), sshd failures, HTTP 5xx, and Celery task failures with an 8-line traceback.
import Glibc

var state: UInt64 = 0x9E37_79B9_7F4A_7C15
@inline(__always) func next() -> UInt64 {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return state >> 33
}
@inline(__always) func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }

let total = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
let hosts = ["web-01", "web-02", "worker-01", "worker-02", "render-01"]
let paths = ["/api/v1/jobs", "/api/v1/jobs/4711", "/static/app.js", "/healthz", "/api/v1/montages/88/render", "/login"]
let users = ["root", "admin", "test", "ubuntu", "oracle", "git", "postgres", "deploy"]
let tasks = ["render.tasks.render_montage", "render.tasks.encode_clip", "mail.tasks.send_digest", "billing.tasks.sync_invoices"]
var out: [UInt8] = []
out.reserveCapacity(1 << 22)
func emit(_ s: String) {
    out.append(contentsOf: s.utf8)
    out.append(0x0A)
    if out.count > (1 << 22) - 4096 {
        out.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
        out.removeAll(keepingCapacity: true)
    }
}
var seconds = 0
var micros = 0
var lines = 0
func stamp() -> String {
    micros += Int(next() % 40_000)
    if micros >= 1_000_000 { seconds += micros / 1_000_000; micros %= 1_000_000 }
    let h = 8 + seconds / 3600 % 16, m = seconds / 60 % 60, s = seconds % 60
    func p(_ v: Int, _ w: Int) -> String { let t = String(v); return String(repeating: "0", count: max(0, w - t.count)) + t }
    return "2026-11-23T\(p(h, 2)):\(p(m, 2)):\(p(s, 2)).\(p(micros, 6))+00:00"
}
func ip() -> String { "\(next() % 223 + 1).\(next() % 256).\(next() % 256).\(next() % 254 + 1)" }
func uuid() -> String {
    func hex(_ n: Int) -> String { (0..<n).map { _ in String(next() % 16, radix: 16) }.joined() }
    return "\(hex(8))-\(hex(4))-4\(hex(3))-a\(hex(3))-\(hex(12))"
}

while lines < total {
    let host = pick(hosts)
    let roll = next() % 1000
    let t = stamp()
    switch roll {
    case 0..<8:  // sshd failure
        let pid = 2000 + Int(next() % 30000)
        let addr = "203.0.113.\(next() % 32 + 1)"
        if next() % 2 == 0 {
            emit("\(t) \(host) sshd[\(pid)]: Failed password for invalid user \(pick(users)) from \(addr) port \(1024 + next() % 60000) ssh2")
        } else {
            emit("\(t) \(host) sshd[\(pid)]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=\(addr)  user=root")
        }
        lines += 1
    case 8..<14:  // HTTP 5xx
        emit("\(t) \(host) nginx: \(ip()) - - [23/Nov/2026:10:15:00 +0000] \"POST \(pick(paths)) HTTP/1.1\" \(pick([500, 502, 503, 504])) 182 \"-\" \"python-requests/2.31\"")
        lines += 1
    case 14..<16:  // Celery failure with traceback
        let task = pick(tasks)
        emit("\(t) \(host) celery[2211]: [2026-11-23 10:15:00,204: ERROR/ForkPoolWorker-2] Task \(task)[\(uuid())] raised unexpected: TimeoutError('upstream did not answer in 30s')")
        let tb = ["Traceback (most recent call last):",
                  "  File \"/opt/app/venv/lib/python3.11/site-packages/celery/app/trace.py\", line 477, in trace_task",
                  "    R = retval = fun(*args, **kwargs)",
                  "  File \"/opt/app/app/tasks.py\", line 88, in run",
                  "    result = client.fetch(job.url, timeout=30)",
                  "  File \"/opt/app/app/client.py\", line 41, in fetch",
                  "    raise TimeoutError(f\"upstream did not answer in {timeout}s\")",
                  "TimeoutError: upstream did not answer in 30s"]
        for line in tb { emit("\(t) \(host) celery[2211]: \(line)") }
        lines += 1 + tb.count
    default:  // noise
        switch next() % 8 {
        case 0: emit("\(t) \(host) CRON[\(3000 + next() % 9000)]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)")
        case 1: emit("\(t) \(host) systemd[1]: Started session-\(next() % 9000).scope - Session \(next() % 9000) of User deploy.")
        case 2: emit("\(t) \(host) kernel: [\(next() % 900000).\(next() % 999999)] IPv4: martian source 10.0.\(next() % 255).\(next() % 255) from 10.0.0.1, on dev eth0")
        case 3, 4: emit("\(t) \(host) nginx: \(ip()) - - [23/Nov/2026:10:15:00 +0000] \"GET \(pick(paths)) HTTP/1.1\" \(pick([200, 200, 200, 204, 301, 304, 404])) \(next() % 50000) \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"")
        case 5: emit("\(t) \(host) celery[2211]: [2026-11-23 10:15:00,001: INFO/MainProcess] Task \(pick(tasks))[\(uuid())] received")
        case 6: emit("\(t) \(host) celery[2211]: [2026-11-23 10:15:09,512: INFO/ForkPoolWorker-2] Task \(pick(tasks))[\(uuid())] succeeded in \(next() % 90).\(next() % 99)s: None")
        default: emit("\(t) \(host) app[4100]: INFO request_id=\(uuid()) user_id=\(next() % 100000) GET /api/v1/jobs completed in \(next() % 900)ms")
        }
        lines += 1
    }
}
out.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
