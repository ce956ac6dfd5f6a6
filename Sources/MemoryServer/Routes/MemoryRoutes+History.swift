import Hummingbird
import MemoryEngine

/// An entry's past: history, revert, feedback; and the global audit log.
extension MemoryRoutes {
    static func installEntryHistory(on router: Router<EngramRequestContext>, environment: ServerEnvironment,
                                    engine: MemoryEngine) {
        router.get("/v1/namespaces/:ns/memories/:id/history") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let after = try RouteSupport.query(request, "after") ?? 0
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let page = try RouteSupport.engine { () throws(EngineError) in
                try engine.history(namespace: name, id: id, after: after, limit: limit)
            }
            return try RouteSupport.json(page)
        }
        router.post("/v1/namespaces/:ns/memories/:id/revert") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let body = try await RouteSupport.decodeBody(RevertBody.self, of: request, environment: environment)
            let actor = RouteSupport.actor(request, named: body.actor)
            let outcome = try RouteSupport.engine { () throws(EngineError) in
                try engine.revert(namespace: name, id: id, toVersion: body.version, vector: body.vector,
                                  actor: actor, reason: body.reason)
            }
            return try RouteSupport.json(outcome)
        }
        router.post("/v1/namespaces/:ns/memories/:id/feedback") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let body = try await RouteSupport.decodeBody(FeedbackBody.self, of: request, environment: environment)
            let actor = RouteSupport.actor(request, named: body.actor)
            let outcome = try RouteSupport.engine { () throws(EngineError) in
                try engine.feedback(namespace: name, id: id, body.signal, actor: actor, reason: body.reason)
            }
            return try RouteSupport.json(outcome)
        }
        router.get("/v1/audit") { request, _ -> Response in
            let after = try RouteSupport.query(request, "after") ?? 0
            let through = try RouteSupport.query(request, "through")
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let namespace = RouteSupport.text(request, "namespace")
            let page = try RouteSupport.engine { () throws(EngineError) in
                try engine.audit(after: after, through: through, namespace: namespace, limit: limit)
            }
            return try RouteSupport.json(page)
        }
    }
}
