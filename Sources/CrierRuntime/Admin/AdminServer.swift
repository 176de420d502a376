import CrierCore
import CrierPlatform
import CrierStore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The admin HTTP server of `crier run` (`server.listen`, loopback by default):
///
///     GET /metrics          Prometheus text format (see `Telemetry`)
///     GET /healthz          200 while the process serves requests
///     GET /readyz           200 once sources are positioned and state is restored, 503 before
///     GET /api/v1/status    per notifier: queue, breaker, back-off, disable, limits (JSON)
///     GET /api/v1/history   recent deliveries; ?notifier= &status= &limit= (default 100)
///
/// Nothing served holds a webhook URL, token or password: status and history come from
/// rows whose error texts were scrubbed before they were stored, and metric labels are
/// configuration names and named reasons only.
///
/// A server that cannot listen (address in use, no permission) is logged as an error
/// naming `server.listen`, and crier goes on alerting without it: losing the metrics
/// endpoint must not silence the alerts.
struct AdminServer: Service {
    let listen: String
    let telemetry: Telemetry
    let store: StateStore
    let config: ResolvedConfig
    let ready: Flag
    let logger: Logger

    func run() async throws {
        guard let (host, port) = ServerConfig.hostPort(listen) else {
            logger.error("admin server not started: server.listen '\(listen)' is not host:port")
            try? await gracefulShutdown()
            return
        }
        let router = Router()
        let telemetry = self.telemetry, store = self.store, config = self.config, ready = self.ready
        router.get("metrics") { _, _ -> Response in
            let bytes = telemetry.scrape(store: store, notifiers: config.notifiers, now: WallClock.now())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("healthz") { _, _ -> Response in AdminServer.text(.ok, "ok\n") }
        router.get("readyz") { _, _ -> Response in
            ready.isSet ? AdminServer.text(.ok, "ready\n") : AdminServer.text(.serviceUnavailable, "not ready\n")
        }
        router.get("api/v1/status") { _, _ -> Response in
            do {
                return AdminServer.json(.ok, try StatusReport(config: config, store: store, now: WallClock.now()).json)
            } catch {
                return AdminServer.json(.internalServerError, .object(["error": .string("\(error)")]))
            }
        }
        router.get("api/v1/history") { request, _ -> Response in
            let query = request.uri.queryParameters
            let limit = query.get("limit", as: Int.self).map { min(max($0, 1), 10_000) } ?? 100
            let status = query.get("status").map { OutboxStatus(rawValue: $0) }
            if let status, status == nil {
                let known = OutboxStatus.allCases.map(\.rawValue).joined(separator: ", ")
                return AdminServer.json(.badRequest, .object(["error": .string("status must be one of \(known)")]))
            }
            do {
                let rows = try store.history(notifier: query.get("notifier"), status: status ?? nil, limit: limit)
                return AdminServer.json(.ok, .object(["deliveries": .array(rows.map(\.json))]))
            } catch {
                return AdminServer.json(.internalServerError, .object(["error": .string("\(error)")]))
            }
        }
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "crier"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port.map { "\(host):\($0)" } ?? listen
                logger.info("admin server listening on http://\(bound) (/metrics /healthz /readyz /api/v1/status /api/v1/history)")
            },
            logger: Logger(label: "crier.admin", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            try await app.run()
        } catch {
            logger.error("admin server not started: cannot listen on \(listen) (server.listen): \(error)")
            try? await gracefulShutdown()
        }
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var bytes: [UInt8] = []
        value.encode(into: &bytes)
        bytes.append(0x0A)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
