import EngineDocuments
import EngramAPI
import EngramService
import Hummingbird
import MemoryEngine

/// `POST /v1/namespaces/{ns}/search`.
///
/// Where it runs: a text search embeds its query (~7 ms of MiniLM), so it goes to the
/// blocking pool; a vector search stays on the connection's thread (its event loop, see
/// ``EventLoopAffineChannel``; the cooperative pool when this was measured). Measured in a release
/// build (2 000 × 384-d vectors, k = 10, one keep-alive connection, a loaded 2-core machine),
/// p50 over three interleaved rounds of 3 000 searches: inline ≈ 420–505 µs, through the pool
/// ≈ 450–560 µs — the hop adds ~30–50 µs (a queue push, a thread wake-up, a continuation
/// resume) and buys nothing, because the search does not block. What the pool does buy: with
/// two clients writing text at the same time, searches' p90/p99 were 7–19 ms / 62–97 ms when
/// writes ran inline (their fsyncs and embeddings held both cooperative threads) and
/// 0.46–0.54 ms / 0.9–4.5 ms with writes on the pool (two runs each).
struct SearchController {
    let engine: MemoryEngine
    let environment: ServerEnvironment

    /// The vector (`vector` as a JSON array or `vector_b64`) is parsed by
    /// ``VectorBodySplitter`` against the namespace's dimension, so Foundation never decodes
    /// the floats; the small remainder (`text`, `k`, `ef`, `filter`, `rank`) is read by
    /// ``EngramAPI/SearchRequest/readPlain(_:)`` when it is only `k`/`ef`/`text`, else decoded strictly.
    func addRoutes(to namespace: RouterGroup<EngramRequestContext>) {
        let (engine, environment) = (engine, environment)
        namespace.post("search") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let dimension = try RouteSupport.engine { () throws(EngineError) in try engine.dimension(of: name) }
            let bytes = try await RouteSupport.body(of: request, environment: environment)
            if bytes.isEmpty { throw APIError.malformedJSON("the body is empty") }
            let split = try VectorBodySplitter.split(bytes, expectedDimension: dimension,
                                                     maxDimension: max(dimension, VectorCodec.defaultMaxDimension))
            var body = try SearchRequest.readPlain(split.remainder)
                ?? RouteSupport.decode(SearchRequest.self, from: split.remainder)
            body.vector = split.vector
            let search = body
            let hits: [SearchHit]
            if search.text != nil {
                // Embedding the text is milliseconds of CPU: off the cooperative pool.
                hits = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                    try engine.search(namespace: name, search)
                }
            } else {
                // A vector search is CPU work of tens to hundreds of microseconds on the
                // in-memory index plus k memory-mapped LMDB reads: it never waits for a writer
                // or the disk in the normal case, so it runs inline (see below).
                hits = try RouteSupport.engine { () throws(EngineError) in try engine.search(namespace: name, search) }
            }
            // Hand-written JSON, byte-identical to `RouteSupport.json` of `{"hits": [SearchHit]}` (Foundation's JSONEncoder):
            // with it the route's p50 beyond the engine fell from ≈ 300 to ≈ 150 µs (20 000 ×
            // 384-d, k = 10, raw HTTP over the socket; see SearchResponseEncoder).
            return JSONResponse.make(try SearchResponseEncoder.encode(hits))
        }
    }
}
