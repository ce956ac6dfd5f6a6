public import EngramAPI

extension MemoryClient {
    /// `POST /v1/namespaces/{ns}/search`, by `text` or by `vector` (sent as `vector_b64`).
    public func search(in namespace: String, _ request: SearchRequest) async throws(MemoryClientError) -> [SearchHit] {
        let (target, body) = try Self.searchExchange(namespace, request)
        return try Self.hits(from: try await send(method: "POST", target: target, body: body))
    }

    /// ``search(in:_:)`` on the calling thread, which it blocks until the answer (or the
    /// timeout).
    ///
    /// For callers with threads of their own (a worker pool, a host application's request
    /// threads, a benchmark loop): the async form hands the blocking exchange to an I/O thread
    /// and back (``IOThreadPool``), two thread wake-ups that cost about a tenth of a k = 10 search over the socket
    /// (docs/performance.md#client-transport); this form makes none.
    /// Do not call it from a task on Swift's cooperative pool: it would hold one of that
    /// pool's few threads for the whole exchange.
    public func searchBlocking(in namespace: String, _ request: SearchRequest) throws(MemoryClientError) -> [SearchHit] {
        let (target, body) = try Self.searchExchange(namespace, request)
        return try Self.hits(from: try exchange(method: "POST", target: target, body: body).get())
    }

    private static func searchExchange(_ namespace: String, _ request: SearchRequest)
        throws(MemoryClientError) -> (target: String, body: [UInt8]) {
        do {
            return (target(path: ["v1", "namespaces", namespace, "search"], query: []), try request.jsonBytes())
        } catch {
            throw .invalidRequest("cannot encode the request body: \(error)")
        }
    }

    /// The hits of a search response: the hand-written reader for the common case,
    /// `JSONDecoder` for anything it does not take and for errors, so the result is the same
    /// either way (see ``SearchResponseReader``).
    private static func hits(from response: HTTPResponse) throws(MemoryClientError) -> [SearchHit] {
        if (200..<300).contains(response.status), let hits = SearchResponseReader.hits(response.body) { return hits }
        return try decode(SearchResponse.self, from: response).hits
    }
}
