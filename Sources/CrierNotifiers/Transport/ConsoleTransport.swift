#if canImport(Glibc)
import Glibc
#endif
public import CrierCore
import Synchronization

/// The console notifier's transport: each message is written to standard output followed by
/// a blank line, whole (a lock keeps two console notifiers from interleaving their lines).
public final class ConsoleTransport: Transport {
    private static let lock = Mutex(())
    private let fd: Int32

    public init(fd: Int32 = 1) { self.fd = fd }

    public func send(_ request: DeliveryRequest) -> TransportResult {
        guard case .console(let text) = request else {
            return .http(.failure(.network("the console only prints text")))
        }
        let bytes = Array((text + "\n\n").utf8)
        ConsoleTransport.lock.withLock { _ in
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    // A closed pipe loses the line, as a terminal that went away would: no retry.
                    if n <= 0 { return }
                    offset += n
                }
            }
        }
        return .printed
    }
}

/// The transport for a configured notifier: libcurl for HTTP and SMTP, standard output for
/// the console.
public enum Transports {
    public static func make(_ config: NotifierConfig) -> any Transport {
        config.kind == .console ? ConsoleTransport() : CurlTransport(caBundle: config.caBundle)
    }
}
