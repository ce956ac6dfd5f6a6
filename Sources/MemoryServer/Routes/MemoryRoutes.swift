import EngineDocuments
import EngramAPI
import EngramService
import Hummingbird
import MemoryEngine

/// The domain routes (docs/architecture.md, "The HTTP API"), over a ``MemoryEngine``, grouped
/// by what they act on: one controller per group, each adding its routes to a Hummingbird
/// router group, the namespace ones under `/v1/namespaces/:ns`.
///
/// Every write answers with the audit `sequence` of the event it wrote; a search issued after
/// a write's response sees that write (the engine commits before it returns). Errors are the
/// JSON error document: the engine's stable codes (``RouteSupport/apiError(for:)`` chooses the
/// status) and the transport's own (malformed JSON, unknown fields, bad vectors).
///
/// Engine calls are synchronous. Those that may block — commits (fsync), embeddings, LMDB
/// reads — run on ``ServerEnvironment/blockingPool`` through ``RouteSupport/blocking(_:_:)``,
/// so they never hold one of the few event-loop threads; only in-memory vector searches
/// and namespace lookups run inline (see ``SearchController``).
public enum MemoryRoutes {
    /// Registers every domain route on `router`, and the engine's gauges on `/metrics`
    /// (``EngineGauges``, computed at scrape time).
    public static func install(on router: Router<EngramRequestContext>, environment: ServerEnvironment,
                               engine: MemoryEngine) {
        environment.scrapeMetrics.add(EngineGauges.collector(for: engine))
        let namespaces = router.group("/v1/namespaces")
        let namespace = namespaces.group(":ns")
        NamespaceController(engine: engine, environment: environment).addRoutes(to: namespaces)
        EntryController(engine: engine, environment: environment).addRoutes(to: namespace)
        SearchController(engine: engine, environment: environment).addRoutes(to: namespace)
        AuditController(engine: engine, environment: environment).addRoutes(to: router.group("/v1/audit"))
        let environment = environment
        // `POST /v1/embed`: the daemon's model for clients (engram-prompt's /v1/embeddings).
        router.post("/v1/embed") { request, _ -> Response in
            let body = try await RouteSupport.decodeBody(EmbedRequest.self, of: request, environment: environment)
            let texts = body.input
            let result = try await RouteSupport.blocking(environment) { () throws(EngineError) in try engine.embed(texts) }
            return try RouteSupport.json(EmbedResponse(model: result.model, dimension: engine.embedder.dimension,
                                                       vectors: result.vectors, tokens: result.tokens))
        }
        AdminController(engine: engine, environment: environment)
            .addRoutes(to: router.group("/v1/admin"), namespace: namespace)
    }
}

/// `/v1/namespaces` and `/v1/namespaces/{ns}`: create, list, inspect, delete.
struct NamespaceController {
    let engine: MemoryEngine
    let environment: ServerEnvironment

    func addRoutes(to namespaces: RouterGroup<EngramRequestContext>) {
        let (engine, environment) = (engine, environment)
        namespaces.get { _, _ -> Response in
            try RouteSupport.json(NamespaceList(namespaces: engine.namespaces().map(\.document)))
        }
        namespaces.put(":ns") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let bytes = try await RouteSupport.body(of: request, environment: environment)
            let body = bytes.isEmpty ? EngramAPI.NamespaceRequest() : try RouteSupport.decode(EngramAPI.NamespaceRequest.self, from: bytes)
            let create = body.command
            let (existed, stats) = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                (engine.namespaces().contains { $0.name == name }, try engine.createNamespace(name, create))
            }
            return try RouteSupport.json(stats.document, status: existed ? .ok : .created)
        }
        namespaces.get(":ns") { _, context -> Response in
            let name = try RouteSupport.namespace(context)
            let stats = try RouteSupport.engine { () throws(EngineError) in try engine.namespace(name) }
            return try RouteSupport.json(stats.document)
        }
        namespaces.delete(":ns") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let confirm = try RouteSupport.flag(request, "confirm")
            let actor = try RouteSupport.actor(request, named: RouteSupport.text(request, "actor"))
            let reason = RouteSupport.text(request, "reason")
            let sequence = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.deleteNamespace(name, confirm: confirm, actor: actor, reason: reason)
            }
            return try RouteSupport.json(NamespaceDeleted(deleted: name, sequence: sequence))
        }
    }
}
