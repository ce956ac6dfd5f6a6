import EngramAPI
import Hummingbird
import MemoryEngine
import EngineDocuments

/// An entry's past: history, revert, feedback; and the global audit log. All on the blocking
/// pool (LMDB reads and commits).
extension MemoryRoutes {
    static func installEntryHistory(on router: Router<EngramRequestContext>, environment: ServerEnvironment,
                                    engine: MemoryEngine) {
        router.get("/v1/namespaces/:ns/memories/:id/history") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let after = try RouteSupport.query(request, "after") ?? 0
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let page = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.history(namespace: name, id: id, after: after, limit: limit)
            }
            return try RouteSupport.json(page.document)
        }
        router.post("/v1/namespaces/:ns/memories/:id/revert") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let body = try await RouteSupport.decodeBody(RevertRequest.self, of: request, environment: environment)
            let actor = RouteSupport.actor(request, named: body.actor)
            let (version, vector, reason) = (body.version, body.vector, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.revert(namespace: name, id: id, toVersion: version, vector: vector, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome.document)
        }
        router.post("/v1/namespaces/:ns/memories/:id/feedback") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let body = try await RouteSupport.decodeBody(FeedbackRequest.self, of: request, environment: environment)
            let actor = RouteSupport.actor(request, named: body.actor)
            let (signal, reason) = (body.signal.command, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.feedback(namespace: name, id: id, signal, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome.document)
        }
        router.get("/v1/audit") { request, _ -> Response in
            let after = try RouteSupport.query(request, "after") ?? 0
            let through = try RouteSupport.query(request, "through")
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let namespace = RouteSupport.text(request, "namespace")
            let page = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.audit(after: after, through: through, namespace: namespace, limit: limit)
            }
            return try RouteSupport.json(page.document)
        }
    }
}
