import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A plain-text SMTP server on 127.0.0.1 (RFC 5321 subset: EHLO, AUTH PLAIN/LOGIN, MAIL,
/// RCPT, DATA, RSET, NOOP, QUIT) recording every accepted message. It can require a password
/// and refuse recipients, as real relays do.
public final class FakeSMTPServer: Sendable {
    public struct Message: Sendable {
        public var from: String
        public var recipients: [String]
        /// The DATA section with transparency dots removed, CRLF line ends.
        public var data: String
        public var authenticatedAs: String?
    }

    public let port: Int
    public var url: String { "smtp://127.0.0.1:\(port)" }
    private let listener: LoopbackListener
    private let credentials: (user: String, password: String)?
    private let refusedRecipients: Set<String>
    private struct State {
        var received: [Message] = []
        var failedLogins = 0
    }

    private let state = Mutex(State())
    /// Signals a new message to `waitForMessages` (held around each change, see `update`).
    private let changed = NSCondition()

    public init(credentials: (user: String, password: String)? = nil, refusing refusedRecipients: Set<String> = []) throws {
        self.credentials = credentials
        self.refusedRecipients = refusedRecipients
        listener = try LoopbackListener()
        port = listener.port
        // Weak: the server goes away (and stops its listener) when the test lets go of it.
        listener.start { [weak self] fd in
            if let self { serve(fd) } else { close(fd) }
        }
    }

    deinit { listener.stop() }

    public func stop() { listener.stop() }

    public var messages: [Message] { state.withLock { $0.received } }
    public var loginFailures: Int { state.withLock { $0.failedLogins } }

    private func update(_ body: (inout sending State) -> sending Void) {
        changed.lock()
        defer {
            changed.broadcast()
            changed.unlock()
        }
        state.withLock(body)
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        func readLine() -> String? {
            while true {
                if let end = buffer.firstRange(of: [13, 10]) {
                    let line = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                    buffer.removeFirst(end.upperBound)
                    return line
                }
                if !LoopbackListener.receive(fd, into: &buffer) { return nil }
            }
        }
        func reply(_ text: String) -> Bool { LoopbackListener.send(fd, text + "\r\n") }
        func decode(_ b64: Substring) -> String { String(decoding: Data(base64Encoded: String(b64)) ?? Data(), as: UTF8.self) }

        guard reply("220 127.0.0.1 fake ESMTP") else { return }
        var user: String?
        var from: String?
        var recipients: [String] = []
        while let line = readLine() {
            let upper = line.uppercased()
            var ok = true
            func tryLogin(_ name: String, _ password: String) {
                if let c = credentials, c.user == name, c.password == password {
                    user = name
                    ok = reply("235 2.7.0 Authentication successful")
                } else {
                    update { $0.failedLogins += 1 }
                    ok = reply("535 5.7.8 Authentication credentials invalid")
                }
            }
            if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
                ok = reply(credentials == nil ? "250-127.0.0.1\r\n250 8BITMIME" : "250-127.0.0.1\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME")
            } else if upper.hasPrefix("AUTH PLAIN") {
                var encoded = line.split(separator: " ").dropFirst(2).first
                if encoded == nil {
                    ok = reply("334 ")
                    encoded = readLine().map { Substring($0) }
                }
                let parts = decode(encoded ?? "").split(separator: "\0", omittingEmptySubsequences: false)
                tryLogin(parts.count == 3 ? String(parts[1]) : "", parts.count == 3 ? String(parts[2]) : "")
            } else if upper.hasPrefix("AUTH LOGIN") {
                var name = line.split(separator: " ").dropFirst(2).first.map(decode)
                if name == nil {
                    ok = reply("334 VXNlcm5hbWU6")
                    name = readLine().map { decode(Substring($0)) }
                }
                _ = reply("334 UGFzc3dvcmQ6")
                tryLogin(name ?? "", readLine().map { decode(Substring($0)) } ?? "")
            } else if upper.hasPrefix("MAIL FROM:") {
                if credentials != nil && user == nil {
                    ok = reply("530 5.7.0 Authentication required")
                } else {
                    from = FakeSMTPServer.address(line)
                    recipients = []
                    ok = reply("250 2.1.0 Ok")
                }
            } else if upper.hasPrefix("RCPT TO:") {
                let address = FakeSMTPServer.address(line)
                if from == nil {
                    ok = reply("503 5.5.1 MAIL first")
                } else if refusedRecipients.contains(address) {
                    ok = reply("550 5.1.1 <\(address)>: Recipient address rejected: User unknown")
                } else {
                    recipients.append(address)
                    ok = reply("250 2.1.5 Ok")
                }
            } else if upper == "DATA" {
                guard let sender = from, !recipients.isEmpty else {
                    ok = reply("554 5.5.1 No valid recipients")
                    continue
                }
                ok = reply("354 End data with <CR><LF>.<CR><LF>")
                var lines: [String] = []
                while let l = readLine(), l != "." { lines.append(l.hasPrefix("..") ? String(l.dropFirst()) : l) }
                let message = Message(from: sender, recipients: recipients, data: lines.joined(separator: "\r\n"), authenticatedAs: user)
                update { $0.received.append(message) }
                from = nil
                recipients = []
                ok = ok && reply("250 2.0.0 Ok: queued")
            } else if upper == "RSET" {
                from = nil
                recipients = []
                ok = reply("250 2.0.0 Ok")
            } else if upper == "NOOP" {
                ok = reply("250 2.0.0 Ok")
            } else if upper == "QUIT" {
                _ = reply("221 2.0.0 Bye")
                return
            } else {
                ok = reply("502 5.5.2 Command not recognized")
            }
            if !ok { return }
        }
    }

    /// `MAIL FROM:<a@b> SIZE=1` → `a@b`.
    static func address(_ line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line[open...].firstIndex(of: ">") else { return "" }
        return String(line[line.index(after: open)..<close])
    }

    /// Waits until `count` messages were accepted (false after `timeout`, a guard only).
    @discardableResult
    public func waitForMessages(_ count: Int, timeout: Double = 60) -> Bool {
        changed.wait(seconds: timeout) { state.withLock { $0.received.count >= count } }
    }
}
