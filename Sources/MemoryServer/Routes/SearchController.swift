import EngineDocuments
import EngramAPI
import EngramService
import Hummingbird
import MemoryEngine

/// `POST /v1/namespaces/{ns}/search`.
///
/// Where it runs: a text search embeds its query (milliseconds of MiniLM), so it goes to the
/// blocking pool; a vector search stays on the connection's thread (its event loop, see
/// ``EventLoopAffineChannel``). Sending a vector search to the pool only adds a hop (a queue
/// push, a thread wake-up, a continuation resume), because the search does not block; what the
/// pool buys is that writes (their fsyncs and embeddings) never hold the threads searches run
/// on. The measurements: docs/performance.md#socket-search-path-and-daemon-threads.
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
            // Hand-written JSON, byte-identical to `WireJSON.encoder()`'s document of the hits: it
            // halved what the route adds beyond the engine (see SearchResponseEncoder).
            return JSONResponse.make(try SearchResponseEncoder.encode(hits))
        }
    }
}
