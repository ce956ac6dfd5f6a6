import Foundation
import Hummingbird
import MemoryClient
import EngramAPI

/// `/v1/prompt`, `/v1/feedback`, `/v1/health` and `/metrics`.
struct PromptRoutes {
    let assembler: PromptAssembler
    let client: MemoryClient
    let upstream: UpstreamClient
    let configuration: PromptConfiguration
    let metrics: PromptMetrics
    let startedAt = ContinuousClock.now

    static let version = "0.1.0"

    func register(on router: Router<BasicRequestContext>) {
        let limit = configuration.maxBodyBytes
        router.post("/v1/prompt") { request, _ -> Response in
            let body = try RequestDecoding.decode(PromptRequest.self, from: try await RequestDecoding.collect(request, limit: limit))
            return try RequestDecoding.response(try await assembler.assemble(body))
        }
        router.post("/v1/feedback") { request, _ -> Response in
            let body = try RequestDecoding.decode(FeedbackRequest.self, from: try await RequestDecoding.collect(request, limit: limit))
            return try await feedback(body)
        }
        router.get("/v1/health") { _, _ -> Response in
            try await health()
        }
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
    }

    /// Passes each id to the daemon's feedback route (`useful` or `not_useful`), one request
    /// per id, in order. Ids the daemon refuses (`not_found`…) are listed in `failed` with its
    /// error; when every id fails, the answer is the first failure's error. The daemon being
    /// unreachable ends the request with 503 `daemon_unavailable`, whose message names the ids
    /// already applied, because feedback is evidence and resending those would count twice.
    private func feedback(_ request: FeedbackRequest) async throws -> Response {
        try request.validate()
        let signal: FeedbackSignal = request.useful ? .useful : .notUseful
        var updated: [FeedbackResponse.Updated] = []
        var failed: [FeedbackResponse.Failed] = []
        var firstError: PromptAPIError?
        for id in request.memoryIDs {
            do {
                let outcome = try await client.feedback(id, in: request.namespace, signal, reason: "engram-prompt feedback")
                updated.append(.init(id: id, confidence: outcome.entry.confidence, evidence: outcome.entry.evidence))
            } catch {
                var apiError = assembler.daemonError(error)
                if case .unavailable = error {
                    if !updated.isEmpty {
                        apiError.message += "; feedback was already applied to \(updated.map { String($0.id) }.joined(separator: ","))"
                    }
                    throw apiError
                }
                firstError = firstError ?? apiError
                failed.append(.init(id: id, error: .init(code: apiError.code, message: apiError.message)))
            }
        }
        if updated.isEmpty, let firstError { throw firstError }
        return try RequestDecoding.response(FeedbackResponse(namespace: request.namespace, updated: updated, failed: failed))
    }

    private func health() async throws -> Response {
        struct Health: Encodable {
            var status: String
            var version: String
            var uptimeSeconds: Double
            var daemon: String
            var daemonSocket: String
            var daemonMessage: String?
            var learning: Bool
            var upstream: String
            var upstreamMessage: String?
            var learningLastFailure: String?
            var learningLastFailureAt: Date?

            enum CodingKeys: String, CodingKey {
                case status, version, daemon, learning, upstream
                case uptimeSeconds = "uptime_seconds"
                case daemonSocket = "daemon_socket"
                case daemonMessage = "daemon_message"
                case upstreamMessage = "upstream_message"
                case learningLastFailure = "learning_last_failure"
                case learningLastFailureAt = "learning_last_failure_at"
            }
        }
        var daemon = "ok"
        var message: String?
        do {
            _ = try await client.health()
        } catch {
            daemon = "unavailable"
            message = "\(error)"
        }
        let uptime = ContinuousClock.now - startedAt
        // Degraded, with the cause, when engramd does not answer now or the last upstream call
        // could not connect; the service itself still answers.
        let upstreamMessage = upstream.unreachable.withLock { $0 }
        let failure = metrics.lastLearningFailure.withLock { $0 }
        return try RequestDecoding.response(Health(
            status: daemon == "ok" && upstreamMessage == nil ? "ok" : "degraded", version: Self.version,
            uptimeSeconds: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
            daemon: daemon, daemonSocket: configuration.daemonSocket, daemonMessage: message,
            learning: configuration.learningEnabled, upstream: configuration.upstreamBaseURL, upstreamMessage: upstreamMessage,
            learningLastFailure: failure?.reason, learningLastFailureAt: failure?.at))
    }
}
