import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 for delivery tests, answering each request as a
/// script says: a status with headers and body, a hang, a connection reset. It records every
/// request with its arrival time. Keep-alive is supported (curl reuses connections).
public final class FakeWebhookServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: String
        public var headers: [String: String]
        public var body: [UInt8]
        /// Monotonic arrival time, seconds.
        public var receivedAt: Double
        public var index: Int

        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    }

    public enum Reply: Sendable {
        case respond(status: Int, headers: [(String, String)] = [], body: String = "")
        /// No answer until `releaseHangs()` or until the client gives up.
        case hang
        /// Close the connection with a TCP reset, no answer.
        case reset
    }

    public typealias Script = @Sendable (Request) -> Reply

    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    private let listener: LoopbackListener
    private let script: Script
    private struct State {
        var recorded: [Request] = []
        var hangsReleased = false
        var stopped = false
    }

    private let state = Mutex(State())
    /// Signals a change of `state` to the threads that wait for one (tests, hung replies).
    private let changed = NSCondition()

    public init(script: @escaping Script) throws {
        self.script = script
        listener = try LoopbackListener()
        port = listener.port
        // Weak: the server goes away (and stops its listener) when the test lets go of it.
        listener.start { [weak self] fd in
            if let self { serve(fd) } else { close(fd) }
        }
    }

    deinit { stop() }

    public func stop() {
        let wasStopped = update { s in
            defer {
                s.stopped = true
                s.hangsReleased = true
            }
            return s.stopped
        }
        if !wasStopped { listener.stop() }
    }

    public var requests: [Request] { state.withLock { $0.recorded } }

    /// Waits until `count` requests have arrived (false after `timeout`, a guard only).
    @discardableResult
    public func waitForRequests(_ count: Int, timeout: Double = 60) -> Bool {
        changed.wait(seconds: timeout) { state.withLock { $0.recorded.count >= count } }
    }

    public func releaseHangs() { update { $0.hangsReleased = true } }

    /// Changes the state and wakes whoever waits for a change (the condition's lock is held
    /// around both, so a waiter cannot miss it between its check and its wait).
    @discardableResult
    private func update<T>(_ body: (inout sending State) -> sending T) -> T {
        changed.lock()
        defer {
            changed.broadcast()
            changed.unlock()
        }
        return state.withLock(body)
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        defer { close(fd) }
        while let request = readRequest(fd, &buffer) {
            switch script(request) {
            case .respond(let status, let headers, let body):
                var text = "HTTP/1.1 \(status) \(FakeWebhookServer.reason(status))\r\n"
                for (name, value) in headers { text += "\(name): \(value)\r\n" }
                text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
                if !LoopbackListener.send(fd, text) { return }
            case .hang:
                _ = changed.wait(seconds: 3600) { state.withLock { $0.hangsReleased } }
                return
            case .reset:
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                return
            }
        }
    }

    private func readRequest(_ fd: Int32, _ buffer: inout [UInt8]) -> Request? {
        func fill() -> Bool { LoopbackListener.receive(fd, into: &buffer) }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let r = buffer.firstRange(of: separator) { headEnd = r.lowerBound } else if !fill() { return nil }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = headEnd! + 4
        while buffer.count < bodyStart + length { if !fill() { return nil } }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        let target = String(requestLine[1])
        let parts = target.split(separator: "?", maxSplits: 1)
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return update { s in
            let request = Request(method: String(requestLine[0]), path: String(parts[0]),
                                  query: parts.count > 1 ? String(parts[1]) : "", headers: headers, body: body,
                                  receivedAt: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9, index: s.recorded.count)
            s.recorded.append(request)
            return request
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// A TLS front for a loopback server: socat with a self-signed certificate made by openssl.
public final class TLSFront {
    public let port: Int
    public let certificate: String
    private let process: Process
    private let directory: TempDirectory

    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/socat") && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
    }

    public init(forwardingTo plainPort: Int) throws {
        directory = TempDirectory("crier-tls")
        certificate = "\(directory.path)/cert.pem"
        let key = "\(directory.path)/key.pem"
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                             "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        openssl.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try openssl.run()
        openssl.waitUntilExit()
        // A free port: bind to 0, read it, release it for socat.
        let probe = try FakeWebhookServer { _ in .reset }
        port = probe.port
        probe.stop()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        process.arguments = ["OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,cert=\(certificate),key=\(key),verify=0",
                             "TCP:127.0.0.1:\(plainPort)"]
        process.arguments!.insert(contentsOf: ["-d", "-d"], at: 0)
        let log = Pipe()
        process.standardError = log
        try process.run()
        // Ready once socat says it listens (read from its log, no polling).
        var text = ""
        while !text.contains("listening on") {
            let data = log.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        // Keep draining its log so it never blocks on a full pipe.
        let handle = log.fileHandleForReading
        Thread.detachNewThread { while !handle.availableData.isEmpty {} }
    }

    deinit {
        // socat forks a child per connection and waits for them on SIGTERM: kill them all.
        let parent = process.processIdentifier
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == parent { kill(pid, SIGKILL) }
        }
        kill(parent, SIGKILL)
        process.waitUntilExit()
    }
}
