public import CrierCore
import Synchronization

/// A `Transport` that answers from a script and records each request with the time on the
/// manual clock when it arrived: delivery tests check what was sent and exactly when.
public final class ScriptedTransport: Transport, Sendable {
    public struct Sent: Sendable {
        public var request: DeliveryRequest
        /// The manual clock's time when the request arrived.
        public var at: Timestamp
        public var index: Int

        public var http: HTTPRequest? {
            if case .http(let r) = request { return r }
            return nil
        }

        public var bodyText: String { request.bodyText }
    }

    /// The answer to a request (`index` counts from 0).
    public typealias Script = @Sendable (_ request: DeliveryRequest, _ index: Int) -> TransportResult

    private struct State {
        var sent: [Sent] = []
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let clock: ManualClock
    private let script: Script
    private let state = Mutex(State())

    public init(clock: ManualClock, script: @escaping Script) {
        self.clock = clock
        self.script = script
    }

    /// Every request answered with `status` (and these headers and body).
    public convenience init(clock: ManualClock, status: Int, headers: [String: String] = [:], body: String = "") {
        self.init(clock: clock) { _, _ in .status(status, headers: headers, body: body) }
    }

    public func send(_ request: DeliveryRequest) -> TransportResult {
        let (index, ready) = state.withLock { s -> (Int, [CheckedContinuation<Void, Never>]) in
            s.sent.append(Sent(request: request, at: clock.now(), index: s.sent.count))
            let count = s.sent.count
            let ready = s.waiters.filter { $0.count <= count }.map(\.continuation)
            s.waiters.removeAll { $0.count <= count }
            return (count - 1, ready)
        }
        for c in ready { c.resume() }
        return script(request, index)
    }

    public var sent: [Sent] { state.withLock { $0.sent } }

    /// Arrival times of every request so far.
    public var times: [Timestamp] { sent.map(\.at) }

    /// Waits until `count` requests have arrived.
    public func requests(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.sent.count >= count { return true }
                s.waiters.append((count, c))
                return false
            }
            if done { c.resume() }
        }
    }
}

extension DeliveryRequest {
    /// The HTTP body, the whole e-mail, or the printed text.
    public var bodyText: String {
        switch self {
        case .http(let r): String(decoding: r.body, as: UTF8.self)
        case .mail(let m): String(decoding: m.message, as: UTF8.self)
        case .console(let text): text
        }
    }
}

extension TransportResult {
    /// An HTTP answer, headers as a server sends them (names are lowercased, as transports do).
    public static func status(_ status: Int, headers: [String: String] = [:], body: String = "") -> TransportResult {
        let lowered = Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) })
        return .http(.success(HTTPResponse(status: status, headers: lowered, body: Array(body.utf8))))
    }
}
