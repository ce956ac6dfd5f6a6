import EngramAPI
import Hummingbird
import MemoryEngine
import EngineDocuments

/// remember, learn, list, get, edit and forget. Every engine call here commits, embeds or
/// reads LMDB, so all run on the blocking pool.
extension MemoryRoutes {
    static func installEntries(on router: Router<EngramRequestContext>, environment: ServerEnvironment,
                               engine: MemoryEngine) {
        router.post("/v1/namespaces/:ns/memories") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let (body, actor) = try await rememberBody(request, environment: environment)
            let (remember, reason) = (body.command, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.remember(remember, namespace: name, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome.document, status: .created)
        }
        router.post("/v1/namespaces/:ns/learn") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let (body, actor) = try await rememberBody(request, environment: environment)
            let (learn, reason) = (body.command, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.learn(learn, namespace: name, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome.document, status: outcome.action == .created ? .created : .ok)
        }
        router.get("/v1/namespaces/:ns/memories") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let after = try RouteSupport.query(request, "after") ?? 0
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let page = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.list(namespace: name, after: after, limit: limit)
            }
            return try RouteSupport.json(page.document)
        }
        router.get("/v1/namespaces/:ns/memories/:id") { _, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let entry = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.get(namespace: name, id: id)
            }
            return try RouteSupport.json(entry.document)
        }
        router.patch("/v1/namespaces/:ns/memories/:id") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let body = try await RouteSupport.decodeBody(EngramAPI.EditRequest.self, of: request, environment: environment)
            let actor = RouteSupport.actor(request, named: body.actor)
            let (edit, reason) = (body.command, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.edit(namespace: name, id: id, edit, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome.document)
        }
        router.delete("/v1/namespaces/:ns/memories/:id") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let hard = try RouteSupport.flag(request, "hard")
            let actor = RouteSupport.actor(request, named: nil)
            let reason = RouteSupport.text(request, "reason")
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.forget(namespace: name, id: id, hard: hard, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome.document)
        }
    }

    /// A remember/learn body: the vector (`vector` or `vector_b64`) parsed without Foundation,
    /// the rest decoded strictly; and the audit actor.
    static func rememberBody(_ request: Request, environment: ServerEnvironment) async throws -> (EngramAPI.RememberRequest, String) {
        let bytes = try await RouteSupport.body(of: request, environment: environment)
        if bytes.isEmpty { throw APIError.malformedJSON("the body is empty") }
        let split = try VectorBodySplitter.split(bytes)
        var body = try RouteSupport.decode(EngramAPI.RememberRequest.self, from: split.remainder)
        body.vector = split.vector
        return (body, RouteSupport.actor(request, named: body.actor))
    }
}
