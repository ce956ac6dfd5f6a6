// This file imports MemoryEngine alone: HNSW (imported where the wire types need it) has its
// own `SearchHit`, which would make the name ambiguous, and the module name `MemoryEngine` is
// shadowed by its class, so `MemoryEngine.SearchHit` cannot be spelt either.
public import MemoryEngine

extension MemoryClient {
    /// `POST /v1/namespaces/{ns}/search`, by `text` or by `vector` (sent as `vector_b64`).
    public func search(in namespace: String, _ request: SearchRequest) async throws(MemoryClientError) -> [SearchHit] {
        let body: [UInt8]
        do {
            body = try SearchWire(request: request).jsonBytes()
        } catch {
            throw .invalidRequest("cannot encode the request body: \(error)")
        }
        return try await call("POST", ["v1", "namespaces", namespace, "search"], bodyBytes: body,
                              as: SearchDocument.self).hits
    }

}

/// `POST …/search`'s document.
struct SearchDocument: Decodable {
    var hits: [SearchHit]
}
