import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import EngramAPI

/// The configured OpenAI-compatible endpoint (llama.cpp server, Ollama, vLLM, OpenAI…),
/// reached with AsyncHTTPClient.
///
/// A `Service` so the HTTP client's connection pool is shut down after everything that uses it
/// (list it before the learning queue and the server in the `ServiceGroup`).
///
/// Timeouts: connecting may take `upstream.connect_timeout_ms` (1 s; AsyncHTTPClient keeps
/// retrying a refused connection until then, so this is how soon a refused upstream is a 502); a non-streaming call must complete within
/// `upstream.timeout_seconds`; a streamed
/// one may run for up to an hour but fails when the upstream stays silent for
/// `upstream.timeout_seconds` between two reads.
public final class UpstreamClient: Service {
    let http: HTTPClient
    /// `upstream.base_url` without a trailing slash.
    let baseURL: String
    let completionsURL: String
    let modelsURL: String
    let apiKey: String
    let timeout: TimeAmount
    let logger: Logger

    /// The longest a streamed completion may run.
    static let streamDeadline = TimeAmount.hours(1)
    /// Largest non-streamed upstream body accepted.
    static let maxBodyBytes = 32 * 1024 * 1024

    public init(configuration: PromptConfiguration, logger: Logger) {
        var base = configuration.upstreamBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        completionsURL = base + "/chat/completions"
        modelsURL = base + "/models"
        apiKey = configuration.upstreamAPIKey
        timeout = .seconds(Int64(configuration.upstreamTimeoutSeconds))
        self.logger = logger
        var clientConfiguration = HTTPClient.Configuration(
            timeout: .init(connect: .milliseconds(Int64(min(configuration.upstreamConnectTimeoutMilliseconds,
                                                            configuration.upstreamTimeoutSeconds * 1000))),
                           read: .seconds(Int64(configuration.upstreamTimeoutSeconds))))
        clientConfiguration.decompression = .disabled
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration,
                          backgroundActivityLogger: logger)
    }

    /// Why the last call could not reach the upstream, `nil` once one got an answer (shown by
    /// `/v1/health` as `degraded`).
    let unreachable = Mutex<String?>(nil)

    /// Whether ``run()`` closed the pool; the Mutex makes the deinit check safe.
    private let closed = Mutex(false)

    /// Waits for graceful shutdown, then closes the connection pool.
    public func run() async throws {
        try? await gracefulShutdown()
        closed.withLock { $0 = true }
        try await http.shutdown()
    }

    /// AsyncHTTPClient traps (in debug builds) when a client is released without being shut
    /// down, which happens when the service was built but never run (a start-up failure, or a
    /// second instance refused its socket); close it synchronously then. deinit is never on
    /// one of the client's event loops, so the blocking shutdown cannot deadlock.
    deinit {
        if !closed.withLock({ $0 }) { try? http.syncShutdown() }
    }

    /// POSTs `body` (a chat completion request, or the request of `path`) to `…/chat/completions`
    /// (or `…` + `path`). `authorization` is the client's own header, used only when
    /// `upstream.api_key` is empty.
    /// - Throws: ``PromptAPIError`` `upstream_unavailable` (502) or `upstream_timeout` (504).
    func post(_ body: [UInt8], streaming: Bool, authorization: String?,
              path: String = "/chat/completions") async throws(PromptAPIError) -> HTTPClientResponse {
        let target = baseURL + path
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: streaming ? "text/event-stream" : "application/json")
        if !apiKey.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        } else if let authorization {
            request.headers.add(name: "Authorization", value: authorization)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: streaming ? Self.streamDeadline : timeout, logger: logger)
            unreachable.withLock { $0 = nil }
            return response
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .init(status: .gatewayTimeout, code: "upstream_timeout",
                        message: "the upstream model at \(target) did not answer in time")
        } catch {
            let message = "cannot reach the upstream model at \(target): \(error)"
            unreachable.withLock { $0 = message }
            throw .init(status: .badGateway, code: "upstream_unavailable", message: message)
        }
    }

    /// GETs `…/models` and collects the answer. `authorization` as for ``post(_:streaming:authorization:)``.
    func models(authorization: String?) async throws(PromptAPIError) -> (status: Int, body: ByteBuffer) {
        var request = HTTPClientRequest(url: modelsURL)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        if !apiKey.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        } else if let authorization {
            request.headers.add(name: "Authorization", value: authorization)
        }
        do {
            let response = try await http.execute(request, timeout: timeout, logger: logger)
            unreachable.withLock { $0 = nil }
            return (Int(response.status.code), try await response.body.collect(upTo: Self.maxBodyBytes))
        } catch {
            let message = "cannot reach the upstream model list at \(modelsURL): \(error)"
            unreachable.withLock { $0 = message }
            throw .init(status: .badGateway, code: "upstream_unavailable", message: message)
        }
    }

    /// POSTs `body` and collects the whole answer (a non-streaming call).
    func postCollecting(_ body: [UInt8], authorization: String?, path: String = "/chat/completions") async throws(PromptAPIError)
        -> (response: HTTPClientResponse, body: ByteBuffer) {
        let response = try await post(body, streaming: false, authorization: authorization, path: path)
        do {
            return (response, try await response.body.collect(upTo: Self.maxBodyBytes))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .init(status: .gatewayTimeout, code: "upstream_timeout",
                        message: "the upstream model at \(baseURL + path) did not finish its answer in time")
        } catch {
            throw .init(status: .badGateway, code: "upstream_unavailable",
                        message: "reading the answer of \(baseURL + path) failed: \(error)")
        }
    }
}

extension UpstreamClient {
    /// The rest of `response`'s body (an error answer), up to ``maxBodyBytes``.
    func collect(_ response: HTTPClientResponse) async throws(PromptAPIError) -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: Self.maxBodyBytes)
        } catch {
            throw .init(status: .badGateway, code: "upstream_unavailable", message: "reading the answer of \(completionsURL) failed: \(error)")
        }
    }
}
