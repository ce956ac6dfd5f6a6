import Foundation
import MemoryEngine
import MemoryStore
import EngramJSON

// Request and response documents of the operator routes (`/v1/admin/…` and the export
// route). Requests reject unknown fields like the domain routes.

/// `POST /v1/admin/rebuild`: `{"namespace"?, "m"?, "ef_construction"?}`; no namespace means
/// every namespace, one after another.
struct RebuildBody: Decodable {
    var namespace: String?
    var m: Int?
    var efConstruction: Int?

    enum Keys: String, CodingKey, CaseIterable {
        case namespace, m, ef_construction
    }

    init() {}

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let container = try decoder.container(keyedBy: Keys.self)
        namespace = try container.decodeIfPresent(String.self, forKey: .namespace)
        m = try container.decodeIfPresent(Int.self, forKey: .m)
        efConstruction = try container.decodeIfPresent(Int.self, forKey: .ef_construction)
    }
}

/// `POST /v1/admin/backup`: `{"path": "name"}` or `{"path": "/backup/dir/name"}`; see
/// `BackupDestination` for where a backup may go.
struct BackupBody: Decodable {
    var path: String

    enum Keys: String, CodingKey, CaseIterable { case path }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        path = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .path)
    }
}

/// One line of `engram export`, one item of `POST /v1/admin/import`: every field of the entry
/// and its vector as base64 little-endian float32. On import only `id`, `text` and the vector
/// are required; the other fields take the defaults of a new entry.
struct ExportedEntryWire: Codable, Sendable {
    var id: UInt64
    var namespace: String?
    var draft: MemoryDraft
    var vector: [Float]

    enum Keys: String, CodingKey, CaseIterable {
        case id, namespace, text, tags, metadata, source, confidence, evidence, pinned, created_at, updated_at,
             last_used_at, use_count, version, expires_at, vector_b64
    }

    init(entry: MemoryEntry, vector: [Float]) {
        id = entry.id
        namespace = entry.namespace
        draft = MemoryDraft(text: entry.text, tags: entry.tags, metadata: entry.metadata, source: entry.source,
                            confidence: entry.confidence, evidence: entry.evidence, pinned: entry.pinned,
                            createdAt: entry.createdAt, updatedAt: entry.updatedAt, lastUsedAt: entry.lastUsedAt,
                            useCount: entry.useCount, version: entry.version, expiresAt: entry.expiresAt)
        self.vector = vector
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let c = try decoder.container(keyedBy: Keys.self)
        id = try c.decode(UInt64.self, forKey: .id)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        let createdAt = try c.decodeIfPresent(Date.self, forKey: .created_at) ?? Date()
        draft = MemoryDraft(
            text: try c.decode(String.self, forKey: .text),
            tags: try c.decodeIfPresent([String].self, forKey: .tags) ?? [],
            metadata: try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata) ?? [:],
            source: try c.decodeIfPresent(String.self, forKey: .source) ?? "import",
            confidence: try c.decodeIfPresent(Double.self, forKey: .confidence) ?? 0.5,
            evidence: try c.decodeIfPresent(StrictEvidence.self, forKey: .evidence)?.value ?? Evidence(),
            pinned: try c.decodeIfPresent(Bool.self, forKey: .pinned) ?? false,
            createdAt: createdAt,
            updatedAt: try c.decodeIfPresent(Date.self, forKey: .updated_at),
            lastUsedAt: try c.decodeIfPresent(Date.self, forKey: .last_used_at),
            useCount: try c.decodeIfPresent(UInt64.self, forKey: .use_count) ?? 0,
            version: try c.decodeIfPresent(UInt64.self, forKey: .version) ?? 1,
            expiresAt: try c.decodeIfPresent(Date.self, forKey: .expires_at))
        let encoded = try c.decode(String.self, forKey: .vector_b64)
        do {
            vector = try VectorCodec.decodeBase64(encoded)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .vector_b64, in: c, debugDescription: error.description)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encodeIfPresent(namespace, forKey: .namespace)
        try c.encode(draft.text, forKey: .text)
        try c.encode(draft.tags, forKey: .tags)
        try c.encode(draft.metadata, forKey: .metadata)
        try c.encode(draft.source, forKey: .source)
        try c.encode(draft.confidence, forKey: .confidence)
        try c.encode(draft.evidence, forKey: .evidence)
        try c.encode(draft.pinned, forKey: .pinned)
        try c.encode(draft.createdAt, forKey: .created_at)
        try c.encode(draft.updatedAt ?? draft.createdAt, forKey: .updated_at)
        try c.encode(draft.lastUsedAt, forKey: .last_used_at)
        try c.encode(draft.useCount, forKey: .use_count)
        try c.encode(draft.version, forKey: .version)
        try c.encode(draft.expiresAt, forKey: .expires_at)
        try c.encode(VectorCodec.encodeBase64(vector), forKey: .vector_b64)
    }
}

/// `POST /v1/admin/import`: `{"namespace": "…", "entries": [ExportedEntry…]}`.
struct ImportBody: Decodable {
    var namespace: String
    var entries: [ExportedEntryWire]

    enum Keys: String, CodingKey, CaseIterable { case namespace, entries }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let c = try decoder.container(keyedBy: Keys.self)
        namespace = try c.decode(String.self, forKey: .namespace)
        entries = try c.decode([ExportedEntryWire].self, forKey: .entries)
    }
}

struct ImportView: Encodable {
    struct Item: Encodable {
        let id: UInt64
        let status: ImportOutcome.Status
        let message: String?
    }

    let results: [Item]
    let sequence: UInt64?

    init(_ report: ImportReport) {
        results = report.outcomes.map { Item(id: $0.id, status: $0.status, message: $0.message) }
        sequence = report.sequence
    }

    enum CodingKeys: String, CodingKey { case results, sequence }

    /// `sequence` is written as `null` when nothing was created, never left out.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(results, forKey: .results)
        try c.encode(sequence, forKey: .sequence)
    }
}

/// `GET /v1/namespaces/{ns}/export`.
struct ExportView: Encodable, Sendable {
    let entries: [ExportedEntryWire]
    let next_cursor: UInt64?
    let damaged: [DamagedRecord]

    enum CodingKeys: String, CodingKey { case entries, next_cursor, damaged }

    /// `next_cursor` is `null` on the last page, never left out; `damaged` only when not empty.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(entries, forKey: .entries)
        try c.encode(next_cursor, forKey: .next_cursor)
        if !damaged.isEmpty { try c.encode(damaged, forKey: .damaged) }
    }
}

struct BackupView: Encodable, Sendable {
    let path: String
    let bytes: Int
    let seconds: Double
}

/// `POST /v1/admin/verify`.
struct VerificationView: Encodable {
    let consistent: Bool
    let problems: [String]
    let namespaces: Int
    let entries: Int
    let graph_nodes: Int
    let vectors: Int
    let audit_events: Int

    init(_ report: VerificationReport) {
        consistent = report.isConsistent
        problems = report.problems
        namespaces = report.namespaces
        entries = report.entries
        graph_nodes = report.graphNodes
        vectors = report.vectors
        audit_events = report.auditEvents
    }
}

/// A job, as `POST /v1/admin/rebuild` and `/v1/admin/jobs/{id}` return it.
struct JobView: Encodable {
    struct ErrorView: Encodable {
        let code: String
        let message: String
    }

    struct ResultView: Encodable {
        let namespace: String
        let nodes: Int
        let caught_up: Int
        let m: Int
        let ef_construction: Int
        let seconds: Double
    }

    let id: String
    let kind = "rebuild"
    let state: RebuildJob.State
    let namespaces: [String]
    let namespace: String?
    let phase: IndexRebuildProgress.Phase?
    let done: Int
    let total: Int
    let cancel_requested: Bool
    let started_at: Date
    let finished_at: Date?
    let error: ErrorView?
    let results: [ResultView]

    init(_ job: RebuildJob) {
        let now = job.current
        id = job.id
        state = now.state
        namespaces = job.namespaces
        namespace = now.namespace
        phase = now.phase
        done = now.done
        total = now.total
        cancel_requested = job.cancelRequested.load(ordering: .relaxed)
        started_at = job.startedAt
        finished_at = now.finishedAt
        error = now.error.map { ErrorView(code: $0.code, message: $0.message) }
        results = now.results.map {
            ResultView(namespace: $0.namespace, nodes: $0.nodes, caught_up: $0.caughtUp, m: $0.parameters.m,
                       ef_construction: $0.parameters.efConstruction, seconds: $0.seconds)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, state, namespaces, namespace, phase, done, total, cancel_requested, started_at, finished_at, error, results
    }

    /// Optional members are written as `null` rather than left out, so clients see every key.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(namespaces, forKey: .namespaces)
        try c.encode(namespace, forKey: .namespace)
        try c.encode(phase, forKey: .phase)
        try c.encode(done, forKey: .done)
        try c.encode(total, forKey: .total)
        try c.encode(cancel_requested, forKey: .cancel_requested)
        try c.encode(started_at, forKey: .started_at)
        try c.encode(finished_at, forKey: .finished_at)
        try c.encode(error, forKey: .error)
        try c.encode(results, forKey: .results)
    }
}

struct JobEnvelope: Encodable {
    let job: JobView
}
