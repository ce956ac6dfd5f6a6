public import EngramAPI

/// Operator calls: online index rebuild (a background job), hot backup, verification, export
/// and import. Used by `engram` (see its `index`, `backup`, `verify`, `export`, `import`).
extension MemoryClient {
    /// `POST /v1/admin/rebuild`: starts rebuilding `namespace`'s index (every namespace when
    /// `nil`) with new `m` / `efConstruction` (or the current ones). Returns at once with the
    /// job; poll ``job(_:)`` for progress. `conflict` while another rebuild runs.
    public func startRebuild(namespace: String? = nil, m: Int? = nil, efConstruction: Int? = nil,
                             quantization: VectorQuantization? = nil)
        async throws(MemoryClientError) -> Job {
        try await call("POST", ["v1", "admin", "rebuild"],
                       body: RebuildRequest(namespace: namespace, m: m, efConstruction: efConstruction, quantization: quantization),
                       as: JobEnvelope.self).job
    }

    /// `GET /v1/admin/jobs/{id}`.
    public func job(_ id: String) async throws(MemoryClientError) -> Job {
        try await call("GET", ["v1", "admin", "jobs", id], as: JobEnvelope.self).job
    }

    /// `DELETE /v1/admin/jobs/{id}`: asks a running job to stop (it stops within one page of
    /// work and changes nothing); poll ``job(_:)`` until its state is `cancelled`.
    public func cancelJob(_ id: String) async throws(MemoryClientError) -> Job {
        try await call("DELETE", ["v1", "admin", "jobs", id], as: JobEnvelope.self).job
    }

    /// `POST /v1/admin/backup`: a compacted copy of the store in the new directory `path` — a
    /// bare name, placed in the daemon's first backup directory, or an absolute path directly
    /// inside one of its `[storage] backup_dirs` — taken while the daemon keeps serving.
    public func backup(to path: String) async throws(MemoryClientError) -> BackupResult {
        try await call("POST", ["v1", "admin", "backup"], body: BackupRequest(path: path), as: BackupResult.self)
    }

    /// `POST /v1/admin/verify`: checks every record and cross-reference of the store.
    public func verify() async throws(MemoryClientError) -> Verification {
        try await call("POST", ["v1", "admin", "verify"], body: EmptyBody(), as: Verification.self)
    }

    /// `GET /v1/namespaces/{ns}/export`: one page of entries with their vectors, in id order
    /// (limit 1…1000, default 100); pass `nextCursor` as `after` for the next page.
    public func exportPage(namespace: String, after: UInt64? = nil, limit: Int? = nil)
        async throws(MemoryClientError) -> ExportPage {
        try await call("GET", ["v1", "namespaces", namespace, "export"],
                       query: [("after", after.map(String.init)), ("limit", limit.map(String.init))], as: ExportPage.self)
    }

    /// `POST /v1/embed`: the daemon's model's vectors of `texts`, in order.
    public func embed(_ texts: [String]) async throws(MemoryClientError) -> EmbedResponse {
        try await call("POST", ["v1", "embed"], body: EmbedRequest(input: texts), as: EmbedResponse.self)
    }

    /// `POST /v1/admin/import`: stores exported entries in `namespace` under their ids, one
    /// result per entry (`created`, `unchanged`, `conflict`, `invalid`). At most 10,000 per
    /// call, and the body must fit the daemon's `max_body_bytes` (4 MiB by default: about
    /// 1,000 entries of 384 dimensions).
    /// `claims` are an export's orphaned claims (``ExportPage/orphanedClaims``), for a
    /// namespace that exists.
    public func importEntries(_ entries: [ExportedEntry], into namespace: String, claims: [ExportedClaim] = [])
        async throws(MemoryClientError) -> ImportResult {
        try await call("POST", ["v1", "admin", "import"],
                       body: ImportRequest(namespace: namespace, entries: entries, claims: claims.isEmpty ? nil : claims),
                       as: ImportResult.self)
    }
}

/// `{}`.
private struct EmptyBody: Encodable {}
