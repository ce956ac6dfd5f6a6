import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1

/// `POST /v1/chat/completions`: an OpenAI-compatible proxy that adds memory.
///
/// 1. The body is an ordinary chat completion request; the namespace comes from the
///    `X-Engram-Namespace` header, else `chat.default_namespace`.
/// 2. The latest user message is the search text; the memories that fit `prompt.token_budget`
///    are rendered with the system template and injected (``ChatCompletionBody/inject(_:mode:)``).
///    Without a user message or a relevant memory the messages are left unchanged.
/// 3. The request goes to `upstream.base_url` + `/chat/completions`. The answer comes back with
///    the upstream's status and content type and the header `x-engram-memories: id1,id2`
///    (empty when none were used). With `"stream": true` the upstream's server-sent events are
///    passed on chunk by chunk as they arrive. An upstream error answer is passed on unchanged.
/// 4. With `learning.enabled`, a successful exchange (user text and the assistant's full text,
///    collected from the stream when streaming) is queued for the ``LearningQueue`` once the
///    answer has been produced; extraction runs after it, never in the answer's path, with the
///    request's own `Authorization` when `upstream.api_key` is empty. The header
///    `x-engram-learning` says what became of it: `queued`, `off`, or `skipped:<reason>`
///    (`no_user_message`, `upstream_status`, `no_answer_text`); a failure of the extraction
///    itself shows in `/v1/health` and `engram_prompt_extraction_failures_total`.
/// 5. When engramd cannot be reached, `chat.on_daemon_unavailable` decides: `fail` (503
///    `daemon_unavailable`) or `answer_without_memories` (the request goes on unchanged, with
///    `x-engram-memories-status: unavailable`; otherwise the header says `ok`).
struct ChatRoutes {
    let assembler: PromptAssembler
    let upstream: UpstreamClient
    let queue: LearningQueue
    let configuration: PromptConfiguration
    let metrics: PromptMetrics
    let logger: Logger

    var exchange: ExchangeSupport {
        ExchangeSupport(assembler: assembler, queue: queue, configuration: configuration, metrics: metrics, logger: logger)
    }

    static let namespaceHeader = HTTPField.Name("X-Engram-Namespace")!
    static let memoriesHeader = HTTPField.Name("x-engram-memories")!
    static let memoriesStatusHeader = HTTPField.Name("x-engram-memories-status")!
    static let learningHeader = HTTPField.Name("x-engram-learning")!
    static let userHeader = HTTPField.Name("X-Engram-User")!
    static let conversationHeader = HTTPField.Name("X-Engram-Conversation")!

    /// Longest text (in UTF-8 bytes) of an earlier turn taken into the search and the
    /// extraction prompt.
    static let maxContextTurnBytes = 1000

    /// The upstream's response headers a client of OpenAI's API reads: the request id, rate
    /// limits, `retry-after`, processing time and organisation/version (`openai-*`). Nothing
    /// else passes (no cookies, no hop-by-hop or framing headers).
    /// With `operatorKey` (the upstream is called with `upstream.api_key`), the account's
    /// organisation and project ids stay behind: they are the operator's, not the client's.
    static func passUpstreamHeaders(_ upstream: HTTPHeaders, into headers: inout HTTPFields, operatorKey: Bool = false) {
        for (name, value) in upstream {
            let lower = name.lowercased()
            guard lower == "x-request-id" || lower == "retry-after" || lower.hasPrefix("x-ratelimit-")
                    || lower.hasPrefix("openai-"), let field = HTTPField.Name(lower) else { continue }
            if operatorKey && (lower == "openai-organization" || lower == "openai-project") { continue }
            headers.append(HTTPField(name: field, value: value))
        }
    }

    /// The namespace of a request: its `X-Engram-Namespace` header; else, with
    /// `chat.namespace_template` and a known end user, the template with `{user}` replaced;
    /// else `chat.default_namespace`. - Throws: `invalid_field` for a name that is not one.
    static func namespace(_ header: String?, user: String?, configuration: PromptConfiguration) throws(PromptAPIError) -> String {
        if let header {
            try NamespaceName.check(header, field: "X-Engram-Namespace")
            return header
        }
        if !configuration.chatNamespaceTemplate.isEmpty, let user {
            return try RequestContext.namespace(template: configuration.chatNamespaceTemplate, user: user)
        }
        return configuration.chatDefaultNamespace
    }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/chat/completions") { request, _ -> Response in
            try await complete(request)
        }
    }

    private func complete(_ request: Request) async throws -> Response {
        let buffer = try await RequestDecoding.collect(request, limit: configuration.maxBodyBytes)
        var body = try ChatCompletionBody(json: Data(buffer: buffer))
        body.setModelIfMissing(configuration.upstreamModel)
        let endUser = try RequestContext.endUser(header: request.headers[Self.userHeader], body: body.endUser)
        let namespace = try Self.namespace(request.headers[Self.namespaceHeader], user: endUser, configuration: configuration)
        let conversationID = try RequestContext.conversation(request.headers[Self.conversationHeader])
        let latest = body.latestUserText
        let earlier = body.turnsBeforeLatestUser(configuration.chatContextTurns).map {
            (role: $0.role, text: RequestContext.prefix($0.text, bytes: Self.maxContextTurnBytes))
        }
        // Searched with the last user message, and with it and the turns before it, so a
        // follow-up finds the subject it follows up (see SearchText).
        let query = latest.map { RequestContext.search(latest: $0, earlier: earlier.map(\.text)) }
        let lookup = try await exchange.knowledge(namespace: namespace, query: query)
        if let found = lookup.found { body.inject(found.block, mode: configuration.chatInjection) }
        let bytes = try body.serialized()
        var headers = HTTPFields()
        let authorization = request.headers[.authorization]
        let learn = exchange.plan(memories: lookup.found?.memories ?? [], available: lookup.available,
                                  hasUserMessage: query != nil, headers: &headers) {
            LearningJob(namespace: namespace, model: body.model ?? "", user: latest ?? "", assistant: "",
                        authorization: authorization,
                        conversation: earlier.map { "\($0.role == "user" ? "User" : "Assistant"): \($0.text)" }
                            .joined(separator: "\n"),
                        conversationID: conversationID, endUser: endUser)
        }

        if body.streaming {
            return try await stream(bytes, headers: headers, learn: learn, authorization: authorization)
        }
        let (response, answer) = try await upstream.postCollecting(bytes, authorization: authorization)
        let status = Int(response.status.code)
        metrics.upstreamRequest(kind: "chat", status: String(status))
        headers[.contentType] = response.headers.first(name: "content-type") ?? "application/json"
        Self.passUpstreamHeaders(response.headers, into: &headers, operatorKey: !configuration.upstreamAPIKey.isEmpty)
        let responseBody = exchange.collectedBody(answer, status: status, learn: learn, headers: &headers,
                                                  answerText: CompletionText.fromCompletion)
        return Response(status: .init(code: status), headers: headers, body: responseBody)
    }

    /// Streams the upstream's answer through; see the type's documentation.
    private func stream(_ bytes: [UInt8], headers: HTTPFields, learn: LearningJob?, authorization: String?)
        async throws -> Response {
        let response = try await upstream.post(bytes, streaming: true, authorization: authorization)
        let status = Int(response.status.code)
        metrics.upstreamRequest(kind: "chat_stream", status: String(status))
        var headers = headers
        headers[.contentType] = response.headers.first(name: "content-type") ?? "text/event-stream"
        Self.passUpstreamHeaders(response.headers, into: &headers, operatorKey: !configuration.upstreamAPIKey.isEmpty)
        // A stream's text is known only at its end: learning is queued then (or skipped, which
        // the log and the metrics record).
        if learn != nil { headers[Self.learningHeader] = (200..<300).contains(status) ? "queued" : "skipped:upstream_status" }
        guard (200..<300).contains(status) else {
            // An error answer is a small JSON document, not a stream: pass it on whole.
            let answer = try await upstream.collect(response)
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: answer))
        }
        headers[.cacheControl] = "no-cache"
        let body = exchange.streamedBody(response, learn: learn)
        return Response(status: .init(code: status), headers: headers, body: body)
    }
}
