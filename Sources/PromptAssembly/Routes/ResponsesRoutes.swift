import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `POST /v1/responses`, OpenAI's Responses API (what new SDK code calls), with memory like
/// chat completions: the namespace and end user as for ``ChatRoutes``; the search text is the
/// last user input (a string `input`, or the last `user` item's text); the knowledge block
/// goes before the request's `instructions`; the answer (JSON, or the event stream passed on as
/// it arrives) comes back with the same `x-engram-*` headers and the upstream's; a successful
/// exchange is learned from (`output_text`, or the stream's `response.output_text.delta`s).
/// `POST /v1/completions` (the legacy API) is passed through unchanged.
struct ResponsesRoutes {
    let assembler: PromptAssembler
    let upstream: UpstreamClient
    let queue: LearningQueue
    let configuration: PromptConfiguration
    let metrics: PromptMetrics
    let logger: Logger

    var exchange: ExchangeSupport {
        ExchangeSupport(assembler: assembler, queue: queue, configuration: configuration, metrics: metrics, logger: logger)
    }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/responses") { request, _ -> Response in try await respond(request) }
        router.post("/v1/completions") { request, _ -> Response in try await passThrough(request) }
    }

    /// The text of the last user input of a Responses request, `nil` without one.
    static func latestUserText(_ input: Any?) -> String? {
        if let text = input as? String { return text.isEmpty ? nil : text }
        guard let items = input as? [[String: Any]] else { return nil }
        for item in items.reversed() where item["role"] as? String == "user" {
            if let text = item["content"] as? String { return text.isEmpty ? nil : text }
            let parts = (item["content"] as? [[String: Any]]) ?? []
            let text = parts.filter { ["input_text", "text"].contains($0["type"] as? String ?? "") }
                .compactMap { $0["text"] as? String }.joined(separator: "\n")
            return text.isEmpty ? nil : text
        }
        return nil
    }

    private func respond(_ request: Request) async throws -> Response {
        let buffer = try await RequestDecoding.collect(request, limit: configuration.maxBodyBytes)
        guard var object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw PromptAPIError.malformedJSON("expected a JSON object")
        }
        // `input` may be absent (a stored prompt template): then there is nothing to search.
        if object["model"] == nil, !configuration.upstreamModel.isEmpty { object["model"] = configuration.upstreamModel }
        let endUser = try RequestContext.endUser(header: request.headers[ChatRoutes.userHeader], body: object["user"] as? String)
        let namespace = try ChatRoutes.namespace(request.headers[ChatRoutes.namespaceHeader], user: endUser,
                                                 configuration: configuration)
        let conversationID = try RequestContext.conversation(request.headers[ChatRoutes.conversationHeader])
        let query = Self.latestUserText(object["input"]).map { RequestContext.search(latest: $0, earlier: []) }
        let lookup = try await exchange.knowledge(namespace: namespace, query: query)
        if let found = lookup.found {
            let instructions = object["instructions"] as? String
            object["instructions"] = instructions.map { found.block + "\n\n" + $0 } ?? found.block
        }
        var headers = HTTPFields()
        let authorization = request.headers[.authorization]
        let model = object["model"] as? String ?? ""
        let learn = exchange.plan(memories: lookup.found?.memories ?? [], available: lookup.available,
                                  hasUserMessage: query != nil, headers: &headers) {
            LearningJob(namespace: namespace, model: model, user: query?.latest ?? "", assistant: "",
                        authorization: authorization, conversationID: conversationID, endUser: endUser)
        }
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]))
        let streaming = object["stream"] as? Bool ?? false
        let response = try await upstream.post(bytes, streaming: streaming, authorization: authorization, path: "/responses")
        let status = Int(response.status.code)
        metrics.upstreamRequest(kind: streaming ? "responses_stream" : "responses", status: String(status))
        headers[.contentType] = response.headers.first(name: "content-type") ?? (streaming ? "text/event-stream" : "application/json")
        ChatRoutes.passUpstreamHeaders(response.headers, into: &headers, operatorKey: !configuration.upstreamAPIKey.isEmpty)
        guard streaming, (200..<300).contains(status) else {
            let answer = try await upstream.collect(response)
            let body = exchange.collectedBody(answer, status: status, learn: learn, headers: &headers,
                                              answerText: CompletionText.fromResponse)
            return Response(status: .init(code: status), headers: headers, body: body)
        }
        if learn != nil { headers[ChatRoutes.learningHeader] = "queued" }
        headers[.cacheControl] = "no-cache"
        return Response(status: .init(code: status), headers: headers, body: exchange.streamedBody(response, learn: learn))
    }

    /// The legacy completions API, unchanged both ways (with the upstream's headers).
    private func passThrough(_ request: Request) async throws -> Response {
        let buffer = try await RequestDecoding.collect(request, limit: configuration.maxBodyBytes)
        let streaming = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])?["stream"] as? Bool ?? false
        let response = try await upstream.post(Array(buffer.readableBytesView), streaming: streaming,
                                               authorization: request.headers[.authorization], path: "/completions")
        let status = Int(response.status.code)
        metrics.upstreamRequest(kind: "completions", status: String(status))
        var headers = HTTPFields()
        headers[.contentType] = response.headers.first(name: "content-type") ?? "application/json"
        ChatRoutes.passUpstreamHeaders(response.headers, into: &headers, operatorKey: !configuration.upstreamAPIKey.isEmpty)
        return Response(status: .init(code: status), headers: headers, body: ResponseBody { writer in
            for try await chunk in response.body { try await writer.write(chunk) }
            try await writer.finish(nil)
        })
    }
}
