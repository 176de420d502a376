public import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 with an ephemeral port; each connection is served on its own
/// thread. The fake servers of the tests are built on it.
public final class LoopbackListener: Sendable {
    public let port: Int
    private let fd: Int32
    private let stopped = Mutex(false)

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts until `stop()`; `serve` owns the connection and must close it.
    public func start(_ serve: @escaping @Sendable (Int32) -> Void) {
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                if connection < 0 {
                    if stopped.withLock({ $0 }) {
                        // Closed here, not in stop(): closed there, the number could be
                        // reused by another test's socket while this thread still accepts on it.
                        close(fd)
                        return
                    }
                    continue
                }
                Thread.detachNewThread { serve(connection) }
            }
        }
    }

    public func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first { shutdown(fd, Int32(SHUT_RDWR)) }  // wakes accept(); the accepting thread closes it
    }

    // No deinit: the accepting thread holds the listener until stop() ends it; owners stop it.

    /// Writes all of `text`; false when the peer is gone.
    public static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Appends what arrives next; false at end of stream.
    public static func receive(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[..<n])
        return true
    }
}

extension NSCondition {
    /// Waits, holding the lock while `done` is checked, until it is true (false after
    /// `timeout` seconds: a guard against a hung test, not a timing assertion).
    public func wait(seconds timeout: Double, until done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock()
        defer { unlock() }
        while !done() {
            if !wait(until: deadline) { return false }
        }
        return true
    }
}
