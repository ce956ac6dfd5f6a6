import EngineDocuments
import EngramAPI
import EngramService
import Hummingbird
import MemoryEngine

/// An entry's life under `/v1/namespaces/{ns}`: remember and learn, list and read, edit,
/// forget, its history, revert and feedback.
struct EntryController {
    let engine: MemoryEngine
    let environment: ServerEnvironment

    func addRoutes(to namespace: RouterGroup<EngramRequestContext>) {
        let (engine, environment) = (engine, environment)
        namespace.post("memories") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let (body, actor) = try await Self.rememberBody(request, environment: environment)
            let (remember, reason) = (body.request, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.remember(remember, namespace: name, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome, status: .created)
        }
        // A batch body is large: it is decoded, and its response encoded, on the blocking pool,
        // so the event loops keep serving searches meanwhile.
        namespace.post("memories/batch") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let bytes = try await RouteSupport.body(of: request, environment: environment)
            let body = try await RouteSupport.blocking(environment) { () -> Result<BatchRememberBody, APIError> in
                Result { () throws(APIError) in try BatchRememberBody.read(bytes, maxItems: MemoryEngine.maxBatchItems) }
            }.get()
            let actor = try RouteSupport.actor(request, named: body.actor)
            let (dedupe, reason) = (body.dedupe, body.reason)
            let encoded = try await RouteSupport.blocking(environment) { () throws(EngineError) -> [UInt8] in
                let valid = body.items.enumerated().compactMap { index, item in (try? item.get()).map { (index, $0) } }
                let outcomes = try engine.rememberEach(valid.map(\.1), namespace: name, dedupe: dedupe, actor: actor,
                                                       reason: reason)
                let response = Self.batchResponse(body.items, valid: valid.map(\.0), outcomes: outcomes)
                do {
                    return [UInt8](try WireJSON.encoder().encode(response))
                } catch {
                    throw .internalError("cannot encode the batch response: \(error)")
                }
            }
            return JSONResponse.make(encoded)
        }
        namespace.post("learn") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let (body, actor) = try await Self.rememberBody(request, environment: environment)
            let (learn, reason) = (body.request, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.learn(learn, namespace: name, actor: actor, reason: reason)
            }
            let stored: Set<LearnAction> = [.created, .pending, .conflicting]
            return try RouteSupport.json(outcome, status: stored.contains(outcome.action) ? .created : .ok)
        }
        namespace.get("memories") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let after = try RouteSupport.query(request, "after") ?? 0
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let (filter, order) = try RouteSupport.listFilter(request)
            let page = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.list(namespace: name, after: after, limit: limit, filter: filter, order: order)
            }
            return try RouteSupport.json(page)
        }
        namespace.get("memories/:id/claims") { _, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let claims = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.rejectedClaims(namespace: name, id: id)
            }
            return try RouteSupport.json(RejectedClaimList(claims: claims))
        }
        namespace.get("review") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let after = try RouteSupport.query(request, "after") ?? 0
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let page = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.review(namespace: name, after: after, limit: limit)
            }
            return try RouteSupport.json(page)
        }
        let decisions: [(String, @Sendable (String, UInt64, String, String?) throws(EngineError) -> WriteOutcome)] = [
            ("accept", { (name, id, actor, reason) throws(EngineError) in try engine.accept(namespace: name, id: id, actor: actor, reason: reason) }),
            ("reject", { (name, id, actor, reason) throws(EngineError) in try engine.reject(namespace: name, id: id, actor: actor, reason: reason) }),
        ]
        for (verb, decide) in decisions {
            namespace.post("review/:id/\(verb)") { request, context -> Response in
                let name = try RouteSupport.namespace(context)
                let id = try RouteSupport.entryID(context)
                let body = try await RouteSupport.optionalBody(ReviewDecision.self, of: request, environment: environment,
                                                               empty: ReviewDecision())
                let (actor, reason) = (try RouteSupport.actor(request, named: body.actor), body.reason)
                let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                    try decide(name, id, actor, reason)
                }
                return try RouteSupport.json(outcome)
            }
        }
        namespace.get("memories/:id") { _, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let entry = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.get(namespace: name, id: id)
            }
            return try RouteSupport.json(entry)
        }
        namespace.patch("memories/:id") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let body = try await RouteSupport.decodeBody(Audited<EditRequest>.self, of: request, environment: environment)
            let actor = try RouteSupport.actor(request, named: body.actor)
            let (edit, reason) = (body.request, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.edit(namespace: name, id: id, edit, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome)
        }
        namespace.delete("memories/:id") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let hard = try RouteSupport.flag(request, "hard")
            let actor = try RouteSupport.actor(request, named: RouteSupport.text(request, "actor"))
            let reason = RouteSupport.text(request, "reason")
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.forget(namespace: name, id: id, hard: hard, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome)
        }
        namespace.get("memories/:id/history") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let after = try RouteSupport.query(request, "after") ?? 0
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let page = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.history(namespace: name, id: id, after: after, limit: limit)
            }
            return try RouteSupport.json(page)
        }
        namespace.post("memories/:id/revert") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let body = try await RouteSupport.decodeBody(RevertRequest.self, of: request, environment: environment)
            let actor = try RouteSupport.actor(request, named: body.actor)
            let (version, vector, reason) = (body.version, body.vector, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.revert(namespace: name, id: id, toVersion: version, vector: vector, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome)
        }
        namespace.post("memories/:id/feedback") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let id = try RouteSupport.entryID(context)
            let body = try await RouteSupport.decodeBody(FeedbackRequest.self, of: request, environment: environment)
            let actor = try RouteSupport.actor(request, named: body.actor)
            let (signal, reason) = (body.signal, body.reason)
            let outcome = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.feedback(namespace: name, id: id, signal, actor: actor, reason: reason)
            }
            return try RouteSupport.json(outcome)
        }
    }

    /// One result per item of the request: the decoding failures where they were, the
    /// engine's outcomes (for the items it got, `valid` their indices) in between.
    static func batchResponse(_ items: [Result<RememberRequest, APIError>], valid: [Int],
                              outcomes: [BatchItemResult]) -> BatchRememberResponse {
        var documents = items.enumerated().map { index, item -> BatchItemDocument in
            guard case .failure(let error) = item else { return BatchItemDocument(index: index, status: BatchItemDocument.failedStatus) }
            return BatchItemDocument(index: index, status: BatchItemDocument.failedStatus,
                                     error: ErrorDocument.Body(code: error.code, message: error.message))
        }
        var namespaceCreated: Bool?
        for (index, outcome) in zip(valid, outcomes) {
            switch outcome {
            case .created(let write):
                if write.namespaceCreated == true { namespaceCreated = true }
                documents[index] = BatchItemDocument(index: index, status: "created", id: write.entry.id, sequence: write.sequence)
            case .learned(let learned):
                if learned.namespaceCreated == true { namespaceCreated = true }
                documents[index] = BatchItemDocument(index: index, status: learned.action.rawValue, id: learned.entry?.id,
                                                     sequence: learned.sequence, similarity: learned.similarity)
            case .failed(let error):
                let api = RouteSupport.apiError(for: error)
                documents[index] = BatchItemDocument(index: index, status: BatchItemDocument.failedStatus,
                                                     error: ErrorDocument.Body(code: api.code, message: api.message))
            }
        }
        return BatchRememberResponse(results: documents, namespaceCreated: namespaceCreated)
    }

    static func rememberBody(_ request: Request, environment: ServerEnvironment) async throws -> (Audited<RememberRequest>, String) {
        let bytes = try await RouteSupport.body(of: request, environment: environment)
        if bytes.isEmpty { throw APIError.malformedJSON("the body is empty") }
        let split = try VectorBodySplitter.split(bytes)
        var body = try RouteSupport.decode(Audited<RememberRequest>.self, from: split.remainder)
        body.request.vector = split.vector
        return (body, try RouteSupport.actor(request, named: body.actor))
    }
}

/// `GET /v1/audit`: the audit log across namespaces, filtered by namespace, actor, kind,
/// entry and time.
struct AuditController {
    let engine: MemoryEngine
    let environment: ServerEnvironment

    func addRoutes(to audit: RouterGroup<EngramRequestContext>) {
        let (engine, environment) = (engine, environment)
        audit.get { request, _ -> Response in
            let after = try RouteSupport.query(request, "after") ?? 0
            let through = try RouteSupport.query(request, "through")
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let namespace = RouteSupport.text(request, "namespace")
            let filter = try RouteSupport.auditFilter(request)
            let page = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.audit(after: after, through: through, namespace: namespace, filter: filter, limit: limit)
            }
            return try RouteSupport.json(page)
        }
    }
}
