public import Hummingbird

/// One finished request as the metrics count it.
public struct RequestMeasurement: Sendable {
    /// The route template (`/v1/namespaces/:ns/search`), or `unmatched`: never the raw path,
    /// so the number of label values stays bounded whatever clients send.
    public let route: String
    public let method: String
    public let status: Int
    /// To the response head (the body of a streamed response is not waited for).
    public let duration: Duration

    @inlinable
    public init(route: String, method: String, status: Int, duration: Duration) {
        self.route = route
        self.method = method
        self.status = status
        self.duration = duration
    }
}

/// Times every request and hands the measurement to `record`, which each daemon points at its
/// own metrics (engramd's swift-metrics counters and timers, engram-prompt's registry).
///
/// Added first, so it runs outermost and sees the status the error middleware produced; an
/// error that escapes anyway counts as the status Hummingbird will send for it.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    @usableFromInline let record: @Sendable (RequestMeasurement) -> Void

    public init(record: @escaping @Sendable (RequestMeasurement) -> Void) {
        self.record = record
    }

    /// Inlinable so that the daemon's request context specializes it (it runs on every request).
    @inlinable
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let status: HTTPResponse.Status
        defer {
            // Hummingbird reports unmatched requests as "NotFound" (or nil); templates start with "/".
            let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
            record(RequestMeasurement(route: route, method: request.method.rawValue, status: status.code,
                                      duration: ContinuousClock.now - start))
        }
        do {
            let response = try await next(request, context)
            status = response.status
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            throw error
        }
    }
}
