import EngramAPI
import Foundation
import Hummingbird
import MemoryEngine
import MemoryStore
import EngineDocuments

/// The operator routes: online index rebuild as a background job, hot backup, verification,
/// and export/import of entries with their ids and vectors (what `engram` calls).
///
/// Like every route they are reachable only by the peers the socket admits (mode and
/// SO_PEERCRED allowlist): an operator action is as privileged as a write.
struct AdminController {
    let engine: MemoryEngine
    let environment: ServerEnvironment

    /// The operator routes under `admin` (`/v1/admin`), and export under `namespace`
    /// (`/v1/namespaces/{ns}`).
    func addRoutes(to admin: RouterGroup<EngramRequestContext>, namespace: RouterGroup<EngramRequestContext>) {
        let jobs = AdminJobs()
        addJobRoutes(to: admin, jobs: jobs)
        addMaintenanceRoutes(to: admin)
        addTransferRoutes(to: admin, namespace: namespace)
    }

    /// `POST /v1/admin/rebuild` (202 with the job), `GET` and `DELETE /v1/admin/jobs/{id}`.
    func addJobRoutes(to admin: RouterGroup<EngramRequestContext>, jobs: AdminJobs) {
        let (engine, environment) = (engine, environment)
        admin.post("rebuild") { request, _ -> Response in
            let bytes = try await RouteSupport.body(of: request, environment: environment)
            let body = bytes.isEmpty ? RebuildRequest() : try RouteSupport.decode(RebuildRequest.self, from: bytes)
            let job = try RouteSupport.engine { () throws(EngineError) -> RebuildJob in
                var names = engine.namespaces().map(\.name)
                if let name = body.namespace { names = [try engine.namespace(name).name] }
                guard !names.isEmpty else { throw .invalidArgument("there are no namespaces to rebuild") }
                // Bad parameters are the caller's error now, not a failed job later.
                for name in names {
                    var parameters = try engine.namespace(name).parameters
                    if let m = body.m { parameters.m = m }
                    if let ef = body.efConstruction { parameters.efConstruction = ef }
                    if let quantization = body.quantization { parameters.quantization = quantization.engineValue }
                    do {
                        try parameters.validate()
                    } catch {
                        throw .invalidArgument("\(error)")
                    }
                }
                return try jobs.startRebuild(namespaces: names, m: body.m, efConstruction: body.efConstruction,
                                             quantization: body.quantization?.engineValue, engine: engine)
            }
            return try RouteSupport.json(JobEnvelope(job: job.document), status: .accepted)
        }
        admin.get("jobs/:job") { _, context -> Response in
            try RouteSupport.json(JobEnvelope(job: try Self.job(context, in: jobs).document))
        }
        admin.delete("jobs/:job") { _, context -> Response in
            let job = try Self.job(context, in: jobs)
            if job.isRunning { job.cancelRequested.store(true, ordering: .relaxed) }
            return try RouteSupport.json(JobEnvelope(job: job.document))
        }
    }

    static func job(_ context: EngramRequestContext, in jobs: AdminJobs) throws(APIError) -> RebuildJob {
        let id = context.parameters.get("job") ?? ""
        guard let job = jobs.job(id) else {
            throw APIError(status: .notFound, code: "not_found", message: "no job \"\(id)\" (finished jobs are kept for a while)")
        }
        return job
    }

    /// `POST /v1/admin/backup` and `POST /v1/admin/verify`, on the blocking pool.
    func addMaintenanceRoutes(to admin: RouterGroup<EngramRequestContext>) {
        let (engine, environment) = (engine, environment)
        admin.post("backup") { request, _ -> Response in
            let body = try await RouteSupport.decodeBody(BackupRequest.self, of: request, environment: environment)
            let requested = body.path
            let allowed = environment.configuration.effectiveBackupDirectories
            let view = try await RouteSupport.blocking(environment) { () throws(EngineError) -> BackupResult in
                let started = ContinuousClock.now
                let destination = try BackupDestination.resolve(requested, allowed: allowed)
                let size = try engine.backup(to: destination)
                let elapsed = ContinuousClock.now - started
                return BackupResult(path: destination.path, bytes: size,
                                  seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            return try RouteSupport.json(view)
        }
        admin.post("verify") { _, _ -> Response in
            let report = try await RouteSupport.blocking(environment) { () throws(EngineError) in engine.verify() }
            return try RouteSupport.json(report.document)
        }
    }

    /// `GET /v1/namespaces/{ns}/export` (entries with vectors, cursor pages) and
    /// `POST /v1/admin/import`.
    func addTransferRoutes(to admin: RouterGroup<EngramRequestContext>, namespace: RouterGroup<EngramRequestContext>) {
        let (engine, environment) = (engine, environment)
        namespace.get("export") { request, context -> Response in
            let name = try RouteSupport.namespace(context)
            let after = try RouteSupport.query(request, "after") ?? 0
            let limit = try RouteSupport.queryInt(request, "limit") ?? 100
            let page = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.exportPage(namespace: name, after: after, limit: limit).document
            }
            return try RouteSupport.json(page)
        }
        admin.post("import") { request, _ -> Response in
            let body = try await RouteSupport.decodeBody(ImportRequest.self, of: request, environment: environment)
            let actor = try RouteSupport.actor(request, named: "import")
            let items = body.entries.map(\.command)
            let claims = (body.claims ?? []).map(\.orphanCommand)
            let name = body.namespace
            let report = try await RouteSupport.blocking(environment) { () throws(EngineError) in
                try engine.importEntries(items, namespace: name, actor: actor, orphanedClaims: claims)
            }
            return try RouteSupport.json(report.document)
        }
    }
}
