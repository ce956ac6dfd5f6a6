import EngramAPI
import Hummingbird
import MemoryEngine
import EngineDocuments

/// The domain routes of DESIGN.md ("Interfaces"), over a ``MemoryEngine``.
///
/// Every write answers with the audit `sequence` of the event it wrote; a search issued after
/// a write's response sees that write (the engine commits before it returns). Errors are the
/// JSON error document: the engine's stable codes (``RouteSupport/apiError(for:)`` chooses the
/// status) and the transport's own (malformed JSON, unknown fields, bad vectors).
///
/// Engine calls are synchronous. Those that may block — commits (fsync), embeddings, LMDB
/// reads — run on ``ServerEnvironment/blockingPool`` through ``RouteSupport/blocking(_:_:)``,
/// so they never hold one of the few event-loop threads; only in-memory vector searches
/// and namespace lookups run inline (see `MemoryRoutes+Search.swift` for the measurement).
public enum MemoryRoutes {
    /// Registers every domain route on `router`, and the engine's gauges on `/metrics`
    /// (``EngineGauges``, computed at scrape time).
    public static func install(on router: Router<EngramRequestContext>, environment: ServerEnvironment,
                               engine: MemoryEngine) {
        environment.scrapeMetrics.add(EngineGauges.collector(for: engine))
        installNamespaces(on: router, environment: environment, engine: engine)
        installEntries(on: router, environment: environment, engine: engine)
        installEntryHistory(on: router, environment: environment, engine: engine)
        installSearch(on: router, environment: environment, engine: engine)
        AdminRoutes.install(on: router, environment: environment, engine: engine)
    }

    /// `PUT`, `GET`, `DELETE /v1/namespaces/{ns}` and `GET /v1/namespaces`.
    static func installNamespaces(on router: Router<EngramRequestContext>, environment: ServerEnvironment,
                                  engine: MemoryEngine) {
        router.put("/v1/namespaces/:ns") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let bytes = try await RouteSupport.body(of: request, environment: environment)
            let body = bytes.isEmpty ? EngramAPI.NamespaceRequest() : try RouteSupport.decode(EngramAPI.NamespaceRequest.self, from: bytes)
            let create = body.command
            let (existed, stats) = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                (engine.namespaces().contains { $0.name == name }, try engine.createNamespace(name, create))
            }
            return try RouteSupport.json(stats.document, status: existed ? .ok : .created)
        }
        router.get("/v1/namespaces") { _, _ -> Response in
            try RouteSupport.json(NamespaceList(namespaces: engine.namespaces().map(\.document)))
        }
        router.get("/v1/namespaces/:ns") { _, context -> Response in
            let name = try RouteSupport.namespace(context)
            let stats = try RouteSupport.engine { () throws(EngineError) in try engine.namespace(name) }
            return try RouteSupport.json(stats.document)
        }
        router.delete("/v1/namespaces/:ns") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let confirm = try RouteSupport.flag(request, "confirm")
            let actor = RouteSupport.actor(request, named: nil)
            let reason = RouteSupport.text(request, "reason")
            let sequence = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.deleteNamespace(name, confirm: confirm, actor: actor, reason: reason)
            }
            return try RouteSupport.json(NamespaceDeleted(deleted: name, sequence: sequence))
        }
    }
}
