import Foundation
import HTTPTypes
import Hummingbird
import MemoryClient
import EngramAPI

/// The rest of the OpenAI surface an SDK expects: `GET /v1/models` (the upstream's list and
/// the daemon's local embedding model) and `POST /v1/embeddings` (served by engramd's own
/// model, so OpenAI-SDK code embeds locally; LangChain's `OpenAIEmbeddings` sends token ids
/// unless built with `check_embedding_ctx_length=False`).
struct OpenAIRoutes {
    let client: MemoryClient
    let upstream: UpstreamClient
    let configuration: PromptConfiguration

    /// Most texts one embeddings request takes.
    static let maxInputs = 2048
    /// Texts per daemon call.
    static let batch = 64

    func register(on router: Router<BasicRequestContext>) {
        let limit = configuration.maxBodyBytes
        router.post("/v1/embeddings") { request, _ -> Response in
            try await embeddings(try await RequestDecoding.collect(request, limit: limit))
        }
        router.get("/v1/models") { request, _ -> Response in
            try await models(authorization: request.headers[.authorization])
        }
    }

    /// `input` a string or a list of strings (token-id arrays are refused: the local model has
    /// its own tokenizer), `encoding_format` `float` (default) or `base64` (little-endian
    /// float32), `dimensions` only the model's own; `model` is accepted and answered with the
    /// local model's name. `usage` counts the model's tokens.
    private func embeddings(_ buffer: ByteBuffer) async throws -> Response {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw PromptAPIError.invalidField("body", "expected a JSON object with `input`")
        }
        let texts: [String]
        switch object["input"] {
        case let text as String: texts = [text]
        case let list as [Any]:
            guard let strings = list as? [String] else {
                throw PromptAPIError.invalidField("input", "expected a string or a list of strings (token arrays are not supported)")
            }
            texts = strings
        default: throw PromptAPIError.invalidField("input", "expected a string or a list of strings")
        }
        guard (1...Self.maxInputs).contains(texts.count) else {
            throw PromptAPIError.invalidField("input", "expected 1…\(Self.maxInputs) texts, got \(texts.count)")
        }
        let format = object["encoding_format"] as? String ?? "float"
        guard ["float", "base64"].contains(format) else {
            throw PromptAPIError.invalidField("encoding_format", "expected float or base64")
        }
        // In daemon calls of `batch` texts: one call is one blocking task in engramd, which
        // searches share, and each must end within `daemon.timeout_seconds`.
        var result = EmbedResponse(model: "", dimension: 0, vectors: [], tokens: 0)
        for start in stride(from: 0, to: texts.count, by: Self.batch) {
            let part: EmbedResponse
            do {
                part = try await client.embed(Array(texts[start..<min(texts.count, start + Self.batch)]))
            } catch {
                throw PromptAPIError.from(error, socket: configuration.daemonSocket)
            }
            result.model = part.model
            result.dimension = part.dimension
            result.vectors += part.vectors
            result.tokens = result.tokens.flatMap { sum in part.tokens.map { sum + $0 } }
        }
        if let dimensions = object["dimensions"] as? Int, dimensions != result.dimension {
            throw PromptAPIError.invalidField("dimensions", "the local model \(result.model) makes \(result.dimension) dimensions")
        }
        let data: [[String: Any]] = result.vectors.enumerated().map { index, vector in
            let embedding: Any = format == "base64"
                ? Data(vector.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }).base64EncodedString()
                : vector.map(Double.init)
            return ["object": "embedding", "index": index, "embedding": embedding]
        }
        let tokens = result.tokens ?? texts.reduce(0) { $0 + $1.split(whereSeparator: \.isWhitespace).count }
        let document: [String: Any] = ["object": "list", "data": data, "model": result.model,
                                       "usage": ["prompt_tokens": tokens, "total_tokens": tokens]]
        return try Self.json(document)
    }

    /// The upstream's models (when it answers) followed by the local embedding model (when
    /// engramd answers), as OpenAI's list; `x-engram-upstream-models` says whether the
    /// upstream's part is there (`ok`, `unavailable`, or its HTTP status).
    private func models(authorization: String?) async throws -> Response {
        var models: [Any] = []
        var upstreamState = "ok"
        do {
            let answer = try await upstream.models(authorization: authorization)
            if (200..<300).contains(answer.status),
               let object = try? JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any],
               let list = object["data"] as? [Any] {
                models += list
            } else {
                upstreamState = String(answer.status)
            }
        } catch {
            upstreamState = "unavailable"
        }
        if let health = try? await client.health(), let embedder = health.details["embedder"] {
            models.append(["id": embedder, "object": "model", "created": 0, "owned_by": "engram"])
        }
        var headers = HTTPFields()
        headers[HTTPField.Name("x-engram-upstream-models")!] = upstreamState
        return try Self.json(["object": "list", "data": models], headers: headers)
    }

    static func json(_ object: [String: Any], headers: HTTPFields = [:]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
