import Hummingbird

/// Counts requests and their latency by route template, method and status (see
/// ``PromptMetrics``). Runs outermost, after the error middleware turned errors into responses,
/// so failures are counted with their real status. A streamed answer is timed to its head.
struct PromptRequestMetrics<Context: RequestContext>: RouterMiddleware {
    let metrics: PromptMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(context, request, response.status.code, start)
            return response
        } catch {
            record(context, request, (error as? any HTTPResponseError)?.status.code ?? 500, start)
            throw error
        }
    }

    private func record(_ context: Context, _ request: Request, _ status: Int, _ start: ContinuousClock.Instant) {
        // Unmatched requests share one label so that label cardinality stays bounded.
        let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: status, duration: ContinuousClock.now - start)
    }
}
