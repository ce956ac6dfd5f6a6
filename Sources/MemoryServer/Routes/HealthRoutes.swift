import Foundation
import Hummingbird

/// `GET /v1/health` and `GET /metrics`: the routes that exist before (and regardless of) the
/// domain.
public enum InfrastructureRoutes {
    /// Extra health facts supplied by the wiring (the BLAS backend, store state once the domain
    /// lands); evaluated per request.
    public typealias HealthDetails = @Sendable () async -> [String: String]

    struct Health: Encodable {
        let status: String
        let version: String
        let uptime_seconds: Double
        let pid: Int32
        let details: [String: String]
    }

    public static func register(
        on router: Router<EngramRequestContext>,
        environment: ServerEnvironment,
        healthDetails: @escaping HealthDetails
    ) {
        router.get("/v1/health") { _, _ in
            try JSONResponse.encode(Health(
                status: "ok", version: environment.version, uptime_seconds: environment.uptimeSeconds,
                pid: getpid(), details: await healthDetails()))
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: EngramMetrics.render())))
        }
    }
}
