import Hummingbird
import Metrics
import Synchronization
import EngramService

/// Counts requests and records their latency, by route template, method and status:
/// `engram_http_requests_total{route,method,status}` and the histogram
/// `engram_http_request_duration_seconds{route,method,status}`.
///
/// The route label is the matched route's template (`/v1/namespaces/{ns}/search`), never the raw
/// path, so label cardinality stays bounded; unmatched requests share `route="unmatched"`.
/// Runs outermost, after ``ErrorMiddleware`` turned errors into responses, so failed requests
/// are counted with their real 4xx status. Metric handles are cached per label set because
/// building one goes through the factory's locked lookup.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let cache = MetricsHandleCache()

    public init() {
        EngramMetrics.bootstrap()
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // ErrorMiddleware normally catches everything; count the rest as what Hummingbird will send.
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            record(route: context.endpointPath, method: request.method, status: status, since: start)
            throw error
        }
        record(route: context.endpointPath, method: request.method, status: response.status, since: start)
        return response
    }

    private func record(route: String?, method: HTTPRequest.Method, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        // Hummingbird reports unmatched requests as "NotFound" (or nil); route templates start with "/".
        let label = route.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        let handles = cache.handles(route: label, method: method.rawValue, status: status.code)
        handles.counter.increment()
        handles.timer.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
    }
}

/// Metric handles by label set, behind a Mutex (middleware runs on many tasks at once).
final class MetricsHandleCache: Sendable {
    struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }
    struct Handles: Sendable {
        let counter: Counter
        let timer: Metrics.Timer
    }

    private let storage = Mutex<[Key: Handles]>([:])

    func handles(route: String, method: String, status: Int) -> Handles {
        let key = Key(route: route, method: method, status: status)
        return storage.withLock { map in
            if let handles = map[key] { return handles }
            let dimensions = [("route", route), ("method", method), ("status", String(status))]
            let handles = Handles(
                counter: Counter(label: "engram_http_requests_total", dimensions: dimensions),
                timer: Metrics.Timer(label: "engram_http_request_duration_seconds", dimensions: dimensions,
                                     preferredDisplayUnit: .seconds))
            map[key] = handles
            return handles
        }
    }
}
