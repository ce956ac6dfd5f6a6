import EngramAPI
import Foundation
import Hummingbird
import MemoryEngine
import EngramService

/// `GET /v1/health` and `GET /metrics`: the routes that exist before (and regardless of) the
/// domain. `/metrics` is the Prometheus text format: request counters and latency histograms
/// by route (``RequestMetricsMiddleware``) and whatever gauges the installed routes collect at
/// scrape time (``ScrapeMetrics``; the domain adds ``EngineGauges``).
public enum InfrastructureRoutes {
    /// Extra health facts supplied by the wiring (the BLAS backend, store state once the domain
    /// lands); evaluated per request.
    public typealias HealthDetails = @Sendable () async -> [String: String]

    public static func register(
        on router: Router<EngramRequestContext>,
        environment: ServerEnvironment,
        healthDetails: @escaping HealthDetails
    ) {
        router.get("/v1/health") { _, _ in
            try JSONResponse.encode(Health(
                status: "ok", version: environment.version, uptimeSeconds: environment.uptimeSeconds,
                pid: getpid(), details: await healthDetails()))
        }
        // Accumulated request metrics, then the gauges computed for this scrape (see
        // ``ScrapeMetrics``). Rendered on the blocking pool: reading index statistics takes
        // each index's shared lock, which may wait behind a writer.
        router.get("/metrics") { _, _ in
            let scrapeMetrics = environment.scrapeMetrics
            let text = try await environment.blockingPool.run { () throws(EngineError) in
                EngramMetrics.render() + scrapeMetrics.render()
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
