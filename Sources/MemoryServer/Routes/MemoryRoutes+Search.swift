import Hummingbird
import MemoryEngine

/// `POST /v1/namespaces/{ns}/search`.
extension MemoryRoutes {
    /// The vector (`vector` as a JSON array or `vector_b64`) is parsed by
    /// ``VectorBodySplitter`` against the namespace's dimension, so Foundation never decodes
    /// the floats; the small remainder (`text`, `k`, `ef`, `filter`, `rank`) is decoded strictly.
    static func installSearch(on router: Router<EngramRequestContext>, environment: ServerEnvironment,
                              engine: MemoryEngine) {
        router.post("/v1/namespaces/:ns/search") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let dimension = try RouteSupport.engine { () throws(EngineError) in try engine.namespace(name).dimension }
            let bytes = try await RouteSupport.body(of: request, environment: environment)
            if bytes.isEmpty { throw APIError.malformedJSON("the body is empty") }
            let split = try VectorBodySplitter.split(bytes, expectedDimension: dimension,
                                                     maxDimension: max(dimension, VectorCodec.defaultMaxDimension))
            let body = try RouteSupport.decode(SearchBody.self, from: split.remainder)
            let hits = try RouteSupport.engine { () throws(EngineError) in
                try engine.search(namespace: name, body.request(vector: split.vector))
            }
            return try RouteSupport.json(SearchView(hits: hits))
        }
    }
}
