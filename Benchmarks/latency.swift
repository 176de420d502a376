// Live latency benchmark: time from a line appended (to a file, or to a journal through
// systemd-journal-remote) to its alert on crier's console, and wake-ups while idle.
// Usage: latency CRIER_BINARY [COUNT]
import Foundation
import Glibc

let crier = CommandLine.arguments[1]
let count = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2])! : 300
let remote = ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

final class Run {
    let process = Process()
    let lock = NSCondition()
    var out = ""
    var err = ""

    init(_ args: [String], env: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: crier)
        process.arguments = args
        var e = ProcessInfo.processInfo.environment
        e.merge(env) { _, n in n }
        process.environment = e
        let o = Pipe(), r = Pipe()
        process.standardOutput = o
        process.standardError = r
        try process.run()
        for (h, isOut) in [(o.fileHandleForReading, true), (r.fileHandleForReading, false)] {
            Thread.detachNewThread {
                while true {
                    let d = h.availableData
                    if d.isEmpty { return }
                    self.lock.lock()
                    if isOut { self.out += String(decoding: d, as: UTF8.self) } else { self.err += String(decoding: d, as: UTF8.self) }
                    self.lock.broadcast()
                    self.lock.unlock()
                }
            }
        }
    }

    func wait(_ until: (String, String) -> Bool) {
        lock.lock()
        while !until(out, err) { lock.wait() }
        lock.unlock()
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func percentiles(_ name: String, _ xs: [Double]) {
    let s = xs.sorted()
    func p(_ q: Double) -> Double { s[min(s.count - 1, Int(Double(s.count) * q))] * 1000 }
    print(String(format: "%@: n=%d p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms", name, s.count, p(0.5), p(0.95), p(0.99), s.last! * 1000))
}

/// Voluntary context switches per thread: each is one wake-up after a sleep.
func contextSwitches(_ pid: Int32) -> [String: Int] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    var result: [String: Int] = [:]
    for tid in tasks {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches") }
        result[tid] = line.flatMap { Int($0.split(separator: "\t").last!.trimmingCharacters(in: .whitespaces)) } ?? 0
    }
    return result
}

func iso() -> String {
    let f = ISO8601DateFormatter()
    return f.string(from: Date())
}

func bench(kind: String) throws {
    let dir = NSTemporaryDirectory() + "crier-latency-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
    let source = kind == "file" ? "{type: file, paths: [\"\(dir)/logs/app.log\"]}" : "{type: journal, directory: \"\(dir)/journal\"}"
    FileManager.default.createFile(atPath: dir + "/logs/app.log", contents: nil)
    if kind == "journal" { try appendJournal(dir, "Server listening on 0.0.0.0 port 22.") }
    let config = "state_dir: \(dir)/state\nsources: [\(source)]\ndefaults: {group_wait: 0s}\n"
    FileManager.default.createFile(atPath: dir + "/crier.yaml", contents: Data(config.utf8))
    let run = try Run(["run", "--config", dir + "/crier.yaml"])
    run.wait { _, e in e.contains("crier running") }
    var latencies: [Double] = []
    let file = FileHandle(forWritingAtPath: dir + "/logs/app.log")!
    for i in 0..<count {
        let ip = "10.\(i / 65536 % 256).\(i / 256 % 256).\(i % 256)"
        let message = "Failed password for root from \(ip) port 22 ssh2"
        let start: Double
        if kind == "file" {
            start = now()
            file.write(Data("\(iso()) bench sshd[7]: \(message)\n".utf8))
        } else {
            try appendJournal(dir, message)
            start = now()  // the entry is in the journal once journal-remote has exited
        }
        run.wait { o, _ in o.contains("from \(ip)\n") }
        latencies.append(now() - start)
        usleep(20_000)
    }
    percentiles("\(kind) → console", latencies)
    sleep(1)  // let the last alert's work settle
    let before = contextSwitches(run.process.processIdentifier)
    sleep(10)
    let after = contextSwitches(run.process.processIdentifier)
    let deltas = after.map { ($0.key, $0.value - (before[$0.key] ?? 0)) }.sorted { $0.0 < $1.0 }
    let wakeups = deltas.reduce(0) { $0 + $1.1 }
    // libdispatch's manager thread re-arms a timerfd once a second in any Swift program that
    // uses concurrency (a bare `for await` over an AsyncStream does the same): it shows here.
    print("\(kind): \(wakeups) wake-ups in 10 s idle; per thread: "
          + deltas.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    run.process.terminate()
    run.process.waitUntilExit()
    try? FileManager.default.removeItem(atPath: dir)
}

func appendJournal(_ dir: String, _ message: String) throws {
    guard let remote else { throw NSError(domain: "no systemd-journal-remote", code: 1) }
    try FileManager.default.createDirectory(atPath: dir + "/journal", withIntermediateDirectories: true)
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var mono = timespec()
    clock_gettime(CLOCK_MONOTONIC, &mono)
    let export = "__REALTIME_TIMESTAMP=\(Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec / 1000))\n"
        + "__MONOTONIC_TIMESTAMP=\(Int64(mono.tv_sec) * 1_000_000 + Int64(mono.tv_nsec / 1000))\n"
        + "_BOOT_ID=4f0c2d1e2f3a4b5c6d7e8f9a0b1c2d3e\n_HOSTNAME=bench\nSYSLOG_IDENTIFIER=sshd\n_PID=7\nMESSAGE=\(message)\n\n"
    let input = dir + "/in.export"
    FileManager.default.createFile(atPath: input, contents: Data(export.utf8))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: remote)
    p.arguments = ["--output=\(dir)/journal/remote.journal", input]
    p.standardError = FileHandle(forWritingAtPath: "/dev/null")
    try p.run()
    p.waitUntilExit()
}

try bench(kind: "file")
if remote != nil { try bench(kind: "journal") }
