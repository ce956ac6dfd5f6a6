public import EngramJSON
public import Foundation

// The operator routes' documents (`/v1/admin/…` and the export route).

/// One line of `engram export`, one item of `POST /v1/admin/import`: every field of an entry
/// (its index slot aside) and its vector as `vector_b64`. Optional members are written as
/// `null`, so every line of an export has every key; on import only `id`, `text` and the
/// vector are required, the other fields taking a new entry's defaults (`source` `import`).
public struct ExportedEntry: Sendable, Hashable, Codable {
    public var id: UInt64
    public var namespace: String?
    public var text: String
    public var tags: [String]
    public var metadata: [String: JSONValue]
    public var source: String
    public var confidence: Double
    public var evidence: Evidence
    public var pinned: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var lastUsedAt: Date?
    public var useCount: UInt64
    public var version: UInt64
    public var expiresAt: Date?
    /// Defaults to `createdAt`.
    public var occurredAt: Date
    public var validFrom: Date?
    public var validTo: Date?
    public var thread: String?
    public var position: Int64?
    /// See ``MemoryEntry/pending``, ``MemoryEntry/conflictsWith``, ``MemoryEntry/learned``;
    /// `nil` (written only when set) means false / none.
    public var pending: Bool?
    public var conflictsWith: [UInt64]?
    public var learned: Bool?
    /// The rejected claims the entry holds, with their vectors (absent when none).
    public var rejectedClaims: [ExportedClaim]?
    public var vector: [Float]

    public init(id: UInt64, namespace: String? = nil, text: String, tags: [String] = [],
                metadata: [String: JSONValue] = [:], source: String = "import", confidence: Double = 0.5,
                evidence: Evidence = Evidence(), pinned: Bool = false, createdAt: Date = Date(), updatedAt: Date? = nil,
                lastUsedAt: Date? = nil, useCount: UInt64 = 0, version: UInt64 = 1, expiresAt: Date? = nil,
                occurredAt: Date? = nil, validFrom: Date? = nil, validTo: Date? = nil, thread: String? = nil,
                position: Int64? = nil, pending: Bool? = nil, conflictsWith: [UInt64]? = nil, learned: Bool? = nil,
                rejectedClaims: [ExportedClaim]? = nil, vector: [Float]) {
        self.pending = pending
        self.conflictsWith = conflictsWith
        self.learned = learned
        self.rejectedClaims = rejectedClaims
        self.id = id
        self.namespace = namespace
        self.text = text
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.evidence = evidence
        self.pinned = pinned
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.lastUsedAt = lastUsedAt
        self.useCount = useCount
        self.version = version
        self.expiresAt = expiresAt
        self.occurredAt = occurredAt ?? createdAt
        self.validFrom = validFrom
        self.validTo = validTo
        self.thread = thread
        self.position = position
        self.vector = vector
    }

    /// `entry`'s fields with `vector`.
    public init(entry: MemoryEntry, vector: [Float], rejectedClaims: [ExportedClaim] = []) {
        self.init(id: entry.id, namespace: entry.namespace, text: entry.text, tags: entry.tags, metadata: entry.metadata,
                  source: entry.source, confidence: entry.confidence, evidence: entry.evidence, pinned: entry.pinned,
                  createdAt: entry.createdAt, updatedAt: entry.updatedAt, lastUsedAt: entry.lastUsedAt,
                  useCount: entry.useCount, version: entry.version, expiresAt: entry.expiresAt, occurredAt: entry.occurredAt,
                  validFrom: entry.validFrom, validTo: entry.validTo, thread: entry.thread, position: entry.position,
                  pending: entry.pending ? true : nil, conflictsWith: entry.conflictsWith.isEmpty ? nil : entry.conflictsWith,
                  learned: entry.learned ? true : nil, rejectedClaims: rejectedClaims.isEmpty ? nil : rejectedClaims,
                  vector: vector)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, namespace, text, tags, metadata, source, confidence, evidence, pinned, version, thread, position
        case occurredAt = "occurred_at"
        case validFrom = "valid_from"
        case validTo = "valid_to"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastUsedAt = "last_used_at"
        case useCount = "use_count"
        case expiresAt = "expires_at"
        case vectorB64 = "vector_b64"
        case pending, learned
        case conflictsWith = "conflicts_with"
        case rejectedClaims = "rejected_claims"
    }

    /// Members it does not know are skipped, so an export by a newer daemon still reads;
    /// `POST /v1/admin/import` refuses them (see ``ImportRequest``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UInt64.self, forKey: .id)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        text = try c.decode(String.self, forKey: .text)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        metadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata) ?? [:]
        source = try c.decodeIfPresent(String.self, forKey: .source) ?? "import"
        confidence = try c.decodeIfPresent(Double.self, forKey: .confidence) ?? 0.5
        evidence = try c.decodeIfPresent(StrictEvidence.self, forKey: .evidence)?.value ?? Evidence()
        pinned = try c.decodeIfPresent(Bool.self, forKey: .pinned) ?? false
        createdAt = try c.decodeIfPresent(Date.self, forKey: .createdAt) ?? Date()
        updatedAt = try c.decodeIfPresent(Date.self, forKey: .updatedAt) ?? createdAt
        lastUsedAt = try c.decodeIfPresent(Date.self, forKey: .lastUsedAt)
        useCount = try c.decodeIfPresent(UInt64.self, forKey: .useCount) ?? 0
        version = try c.decodeIfPresent(UInt64.self, forKey: .version) ?? 1
        expiresAt = try c.decodeIfPresent(Date.self, forKey: .expiresAt)
        occurredAt = try c.decodeIfPresent(Date.self, forKey: .occurredAt) ?? createdAt
        validFrom = try c.decodeIfPresent(Date.self, forKey: .validFrom)
        validTo = try c.decodeIfPresent(Date.self, forKey: .validTo)
        thread = try c.decodeIfPresent(String.self, forKey: .thread)
        position = try c.decodeIfPresent(Int64.self, forKey: .position)
        pending = try c.decodeIfPresent(Bool.self, forKey: .pending)
        conflictsWith = try c.decodeIfPresent([UInt64].self, forKey: .conflictsWith)
        learned = try c.decodeIfPresent(Bool.self, forKey: .learned)
        rejectedClaims = try c.decodeIfPresent([ExportedClaim].self, forKey: .rejectedClaims)
        let encoded = try c.decode(String.self, forKey: .vectorB64)
        do {
            // Up to the largest dimension a namespace can have; the daemon checks the namespace's.
            vector = try VectorCodec.decodeBase64(encoded, maxDimension: 65_536)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .vectorB64, in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(namespace, forKey: .namespace)
        try c.encode(text, forKey: .text)
        try c.encode(tags, forKey: .tags)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(source, forKey: .source)
        try c.encode(confidence, forKey: .confidence)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(pinned, forKey: .pinned)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(lastUsedAt, forKey: .lastUsedAt)
        try c.encode(useCount, forKey: .useCount)
        try c.encode(version, forKey: .version)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(occurredAt, forKey: .occurredAt)
        try c.encodeIfPresent(validFrom, forKey: .validFrom)
        try c.encodeIfPresent(validTo, forKey: .validTo)
        try c.encodeIfPresent(thread, forKey: .thread)
        try c.encodeIfPresent(position, forKey: .position)
        try c.encodeIfPresent(pending, forKey: .pending)
        try c.encodeIfPresent(conflictsWith, forKey: .conflictsWith)
        try c.encodeIfPresent(learned, forKey: .learned)
        try c.encodeIfPresent(rejectedClaims, forKey: .rejectedClaims)
        try c.encode(VectorCodec.encodeBase64(vector), forKey: .vectorB64)
    }
}

/// An ``ExportedEntry`` that rejects unknown members (an item of an import).
struct StrictExportedEntry: Decodable {
    var value: ExportedEntry

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ExportedEntry.CodingKeys.self)
        value = try ExportedEntry(from: decoder)
    }
}

/// ``Evidence`` that rejects unknown fields (an imported entry's `evidence`).
struct StrictEvidence: Decodable {
    var value: Evidence

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Evidence.CodingKeys.self)
        value = try Evidence(from: decoder)
    }
}

/// `GET /v1/namespaces/{ns}/export`: a page; pass `nextCursor` as `after` for the next.
public struct ExportPage: Sendable, Hashable, Codable {
    public var entries: [ExportedEntry]
    /// `null` on the last page.
    public var nextCursor: UInt64?
    /// Records of the page's range the daemon could not read (skipped); written only when
    /// there are some.
    public var damaged: [DamagedRecord]?
    /// On the last page: the namespace's rejected claims whose holder is gone (each with its
    /// `entry_id`), which no entry line carries; written only when there are some.
    public var orphanedClaims: [ExportedClaim]?

    public init(entries: [ExportedEntry], nextCursor: UInt64?, damaged: [DamagedRecord]?,
                orphanedClaims: [ExportedClaim]? = nil) {
        self.entries = entries
        self.nextCursor = nextCursor
        self.damaged = damaged
        self.orphanedClaims = orphanedClaims
    }

    enum CodingKeys: String, CodingKey {
        case entries, damaged
        case nextCursor = "next_cursor"
        case orphanedClaims = "orphaned_claims"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(entries, forKey: .entries)
        try c.encode(nextCursor, forKey: .nextCursor)
        if let damaged, !damaged.isEmpty { try c.encode(damaged, forKey: .damaged) }
        if let orphanedClaims, !orphanedClaims.isEmpty { try c.encode(orphanedClaims, forKey: .orphanedClaims) }
    }
}

/// `POST /v1/admin/import`.
public struct ImportRequest: Sendable, Hashable, Codable {
    public var namespace: String
    public var entries: [ExportedEntry]
    /// Orphaned rejected claims (each with its `entry_id`) to store in the namespace, which
    /// must exist (see ``ExportPage/orphanedClaims``).
    public var claims: [ExportedClaim]?

    public init(namespace: String, entries: [ExportedEntry], claims: [ExportedClaim]? = nil) {
        self.namespace = namespace
        self.entries = entries
        self.claims = claims
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case namespace, entries, claims }

    /// Strict: an entry member the daemon does not know is an error, not silently dropped.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        namespace = try c.decode(String.self, forKey: .namespace)
        entries = try c.decode([StrictExportedEntry].self, forKey: .entries).map(\.value)
        claims = try c.decodeIfPresent([ExportedClaim].self, forKey: .claims)
    }
}

/// `POST /v1/admin/import`'s answer: one result per entry sent, in order.
public struct ImportResult: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Written as a new entry.
        case created
        /// An identical entry with that id is already there.
        case unchanged
        /// A different entry has that id.
        case conflict
        /// The entry cannot be stored (see `message`).
        case invalid
    }

    public struct Item: Sendable, Hashable, Codable {
        public var id: UInt64
        public var status: Status
        public var message: String?

        public init(id: UInt64, status: Status, message: String?) {
            self.id = id
            self.status = status
            self.message = message
        }
    }

    public var results: [Item]
    /// Sequence of the last `created` event; `null` when nothing was created.
    public var sequence: UInt64?
    /// Orphaned claims stored (those already held are skipped); written only when the request
    /// carried some.
    public var claims: Int?

    public init(results: [Item], sequence: UInt64?, claims: Int? = nil) {
        self.results = results
        self.sequence = sequence
        self.claims = claims
    }

    enum CodingKeys: String, CodingKey { case results, sequence, claims }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(results, forKey: .results)
        try c.encode(sequence, forKey: .sequence)
        try c.encodeIfPresent(claims, forKey: .claims)
    }
}

/// `POST /v1/admin/backup`: a bare name (placed in the first backup directory) or a path
/// directly inside one of the daemon's backup directories.
public struct BackupRequest: Sendable, Hashable, Codable {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case path }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        path = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .path)
    }
}

/// `POST /v1/admin/backup`'s answer.
public struct BackupResult: Sendable, Hashable, Codable {
    /// Where the copy was written.
    public var path: String
    /// Size of the copy's data file.
    public var bytes: Int
    public var seconds: Double

    public init(path: String, bytes: Int, seconds: Double) {
        self.path = path
        self.bytes = bytes
        self.seconds = seconds
    }
}

/// `POST /v1/admin/verify`'s answer.
public struct Verification: Sendable, Hashable, Codable {
    public var consistent: Bool
    public var problems: [String]
    public var namespaces: Int
    public var entries: Int
    public var graphNodes: Int
    public var vectors: Int
    public var auditEvents: Int

    public init(consistent: Bool, problems: [String], namespaces: Int, entries: Int, graphNodes: Int, vectors: Int,
                auditEvents: Int) {
        self.consistent = consistent
        self.problems = problems
        self.namespaces = namespaces
        self.entries = entries
        self.graphNodes = graphNodes
        self.vectors = vectors
        self.auditEvents = auditEvents
    }

    enum CodingKeys: String, CodingKey {
        case consistent, problems, namespaces, entries, vectors
        case graphNodes = "graph_nodes"
        case auditEvents = "audit_events"
    }
}

/// `POST /v1/admin/rebuild`: no namespace means every namespace, one after another.
public struct RebuildRequest: Sendable, Hashable, Codable {
    public var namespace: String?
    public var m: Int?
    public var efConstruction: Int?
    /// The new graph's quantization (its codes are trained afresh either way).
    public var quantization: VectorQuantization?

    public init(namespace: String? = nil, m: Int? = nil, efConstruction: Int? = nil, quantization: VectorQuantization? = nil) {
        self.namespace = namespace
        self.m = m
        self.efConstruction = efConstruction
        self.quantization = quantization
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case namespace, m, quantization
        case efConstruction = "ef_construction"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        m = try c.decodeIfPresent(Int.self, forKey: .m)
        efConstruction = try c.decodeIfPresent(Int.self, forKey: .efConstruction)
        quantization = try c.decodeIfPresent(VectorQuantization.self, forKey: .quantization)
    }
}

/// One namespace's finished rebuild.
public struct RebuildResult: Sendable, Hashable, Codable {
    public var namespace: String
    /// Live nodes in the new graph.
    public var nodes: Int
    /// Entries written during the build and applied before the switch.
    public var caughtUp: Int
    public var m: Int
    public var efConstruction: Int
    public var quantization: VectorQuantization
    public var seconds: Double

    public init(namespace: String, nodes: Int, caughtUp: Int, m: Int, efConstruction: Int,
                quantization: VectorQuantization = .none, seconds: Double) {
        self.namespace = namespace
        self.nodes = nodes
        self.caughtUp = caughtUp
        self.m = m
        self.efConstruction = efConstruction
        self.quantization = quantization
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case namespace, nodes, m, seconds, quantization
        case caughtUp = "caught_up"
        case efConstruction = "ef_construction"
    }
}

/// A background job of the daemon (an index rebuild). Optional members are written as `null`,
/// so clients see every key.
public struct Job: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        case running, succeeded, failed, cancelled
    }

    public struct Failure: Sendable, Hashable, Codable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var id: String
    /// `rebuild`.
    public var kind: String
    public var state: State
    public var namespaces: [String]
    /// The namespace being rebuilt now.
    public var namespace: String?
    /// Where a running rebuild is: `building`, `catching_up` or `persisting` (a string, so a
    /// client reads the phases a newer daemon adds).
    public var phase: String?
    public var done: Int
    public var total: Int
    public var cancelRequested: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var error: Failure?
    public var results: [RebuildResult]

    public init(id: String, kind: String = "rebuild", state: State, namespaces: [String], namespace: String?,
                phase: String?, done: Int, total: Int, cancelRequested: Bool, startedAt: Date, finishedAt: Date?,
                error: Failure?, results: [RebuildResult]) {
        self.id = id
        self.kind = kind
        self.state = state
        self.namespaces = namespaces
        self.namespace = namespace
        self.phase = phase
        self.done = done
        self.total = total
        self.cancelRequested = cancelRequested
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.results = results
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, state, namespaces, namespace, phase, done, total, error, results
        case cancelRequested = "cancel_requested"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(namespaces, forKey: .namespaces)
        try c.encode(namespace, forKey: .namespace)
        try c.encode(phase, forKey: .phase)
        try c.encode(done, forKey: .done)
        try c.encode(total, forKey: .total)
        try c.encode(cancelRequested, forKey: .cancelRequested)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(error, forKey: .error)
        try c.encode(results, forKey: .results)
    }
}

/// `{"job": Job}`: what `POST /v1/admin/rebuild` and `/v1/admin/jobs/{id}` return.
public struct JobEnvelope: Sendable, Hashable, Codable {
    public var job: Job

    public init(job: Job) {
        self.job = job
    }
}

/// A rejected claim as an export carries it (inside its entry's line): the claim and the
/// vector its text had, so an imported store refuses the same facts without embedding again.
public struct ExportedClaim: Sendable, Hashable, Codable {
    /// The holder's id: set on the orphaned claims of an export page (whose holder is gone),
    /// absent on the claims inside an entry.
    public var entryID: UInt64?
    public var sequence: UInt64
    public var text: String
    public var cause: RejectionCause
    public var fromEntry: UInt64
    public var actor: String
    public var reason: String?
    public var rejectedAt: Date
    public var vector: [Float]

    public init(_ claim: RejectedClaim, vector: [Float], withHolder: Bool = false) {
        entryID = withHolder ? claim.entryID : nil
        sequence = claim.sequence
        text = claim.text
        cause = claim.cause
        fromEntry = claim.fromEntry
        actor = claim.actor
        reason = claim.reason
        rejectedAt = claim.rejectedAt
        self.vector = vector
    }

    /// The claim, held by entry `owner`.
    public func claim(heldBy owner: UInt64) -> RejectedClaim {
        RejectedClaim(entryID: owner, sequence: sequence, text: text, cause: cause, fromEntry: fromEntry, actor: actor,
                      reason: reason, rejectedAt: rejectedAt)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sequence, text, cause, actor, reason
        case entryID = "entry_id"
        case fromEntry = "from_entry"
        case rejectedAt = "rejected_at"
        case vectorB64 = "vector_b64"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        entryID = try c.decodeIfPresent(UInt64.self, forKey: .entryID)
        sequence = try c.decode(UInt64.self, forKey: .sequence)
        text = try c.decode(String.self, forKey: .text)
        cause = try c.decode(RejectionCause.self, forKey: .cause)
        fromEntry = try c.decode(UInt64.self, forKey: .fromEntry)
        actor = try c.decode(String.self, forKey: .actor)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        rejectedAt = try c.decode(Date.self, forKey: .rejectedAt)
        do {
            vector = try VectorCodec.decodeBase64(try c.decode(String.self, forKey: .vectorB64), maxDimension: 65_536)
        } catch let error as VectorCodecError {
            throw DecodingError.dataCorruptedError(forKey: .vectorB64, in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(entryID, forKey: .entryID)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(text, forKey: .text)
        try c.encode(cause, forKey: .cause)
        try c.encode(fromEntry, forKey: .fromEntry)
        try c.encode(actor, forKey: .actor)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encode(rejectedAt, forKey: .rejectedAt)
        try c.encode(VectorCodec.encodeBase64(vector), forKey: .vectorB64)
    }
}

/// `POST /v1/embed`: texts to embed with the daemon's model.
public struct EmbedRequest: Sendable, Hashable, Codable {
    public var input: [String]

    public init(input: [String]) { self.input = input }

    enum CodingKeys: String, CodingKey, CaseIterable { case input }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        input = try decoder.container(keyedBy: CodingKeys.self).decode([String].self, forKey: .input)
    }
}

/// `POST /v1/embed`'s answer: one vector per text, in order.
public struct EmbedResponse: Sendable, Hashable, Codable {
    /// The model's identifier.
    public var model: String
    public var dimension: Int
    public var vectors: [[Float]]
    /// Tokens the model read, when it tokenises.
    public var tokens: Int?

    public init(model: String, dimension: Int, vectors: [[Float]], tokens: Int?) {
        self.model = model
        self.dimension = dimension
        self.vectors = vectors
        self.tokens = tokens
    }
}
