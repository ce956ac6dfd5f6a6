#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import EngramJSON

// The entry: what the store keeps as its record and the API returns as a document. Its
// `Codable` form (snake-case keys) is the one JSON of an entry: the records on disk write it
// with `Date`'s default encoding, the API with ISO 8601 dates (EngramAPI's `WireJSON`).

/// The counters behind an entry's confidence (docs/architecture.md, "Data model and guarantees": support count, contradictions,
/// feedback). The store keeps them; the engine derives `confidence` from them.
public struct Evidence: Sendable, Hashable, Codable {
    /// Times the knowledge was taught or reinforced.
    public var support: UInt64
    /// Times something contradicted it.
    public var contradictions: UInt64
    /// "Useful" feedback received.
    public var useful: UInt64
    /// "Not useful" feedback received.
    public var notUseful: UInt64

    public init(support: UInt64 = 1, contradictions: UInt64 = 0, useful: UInt64 = 0, notUseful: UInt64 = 0) {
        self.support = support
        self.contradictions = contradictions
        self.useful = useful
        self.notUseful = notUseful
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case support, contradictions, useful
        case notUseful = "not_useful"
    }
}

/// One memory entry: every field of docs/architecture.md's data model ("Data model and guarantees") except the vector, which the store keeps
/// per graph slot (see `MemoryStore.vector(namespace:id:)`).
///
/// The store owns `id` (assigned from a counter, never reused), `namespace`, `slot` and
/// `version` (1 on insert, +1 on every update); `update` also sets `updatedAt` to the event
/// time. Everything else is the caller's.
public struct MemoryEntry: Sendable, Hashable, Codable {
    public var id: UInt64
    public var namespace: String
    /// The knowledge, UTF-8, at most `MemoryStore.maxTextBytes`.
    public var text: String
    public var tags: [String]
    /// A JSON object, at most `MemoryStore.maxMetadataBytes` when encoded.
    public var metadata: [String: JSONValue]
    /// Who taught it: `user`, `agent`, `import`, `extraction:<model>`…
    public var source: String
    /// 0…1.
    public var confidence: Double
    public var evidence: Evidence
    /// Automatic learning may not change or remove it (enforced by the engine).
    public var pinned: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var lastUsedAt: Date?
    public var useCount: UInt64
    public var version: UInt64
    public var expiresAt: Date?
    /// The HNSW slot holding its vector; changes when the vector does.
    public package(set) var slot: UInt32

    public init(id: UInt64, namespace: String, slot: UInt32, draft: MemoryDraft) {
        self.id = id
        self.namespace = namespace
        self.slot = slot
        text = draft.text
        tags = draft.tags
        metadata = draft.metadata
        source = draft.source
        confidence = draft.confidence
        evidence = draft.evidence
        pinned = draft.pinned
        createdAt = draft.createdAt
        updatedAt = draft.updatedAt ?? draft.createdAt
        lastUsedAt = draft.lastUsedAt
        useCount = draft.useCount
        version = draft.version
        expiresAt = draft.expiresAt
    }

    package enum CodingKeys: String, CodingKey {
        case id, namespace, text, tags, metadata, source, confidence, evidence, pinned, version, slot
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastUsedAt = "last_used_at"
        case useCount = "use_count"
        case expiresAt = "expires_at"
    }
}

/// What a caller supplies to create an entry. Imports may carry every historical field
/// (`useCount`, `version`, timestamps); new memories take the defaults.
public struct MemoryDraft: Sendable, Hashable {
    public var text: String
    public var tags: [String]
    public var metadata: [String: JSONValue]
    public var source: String
    public var confidence: Double
    public var evidence: Evidence
    public var pinned: Bool
    public var createdAt: Date
    /// Defaults to `createdAt`.
    public var updatedAt: Date?
    public var lastUsedAt: Date?
    public var useCount: UInt64
    /// Starts at 1; an import may keep the exported version (≥ 1).
    public var version: UInt64
    public var expiresAt: Date?

    public init(text: String, tags: [String] = [], metadata: [String: JSONValue] = [:], source: String = "user",
                confidence: Double = 0.5, evidence: Evidence = Evidence(), pinned: Bool = false,
                createdAt: Date = Date(), updatedAt: Date? = nil, lastUsedAt: Date? = nil, useCount: UInt64 = 0,
                version: UInt64 = 1, expiresAt: Date? = nil) {
        self.text = text
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.evidence = evidence
        self.pinned = pinned
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastUsedAt = lastUsedAt
        self.useCount = useCount
        self.version = version
        self.expiresAt = expiresAt
    }
}

/// A stored record that failed its checksum or could not be decoded, skipped by a read.
public struct DamagedRecord: Sendable, Hashable, Codable {
    /// The entry id, when the key itself is readable.
    public var id: UInt64?
    public var problem: String

    public init(id: UInt64?, problem: String) {
        self.id = id
        self.problem = problem
    }
}
