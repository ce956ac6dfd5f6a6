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
    /// When the fact happened or was said (event time); defaults to `createdAt`. Recency
    /// ranking counts from it, and the prompt service renders it ("said on 8 May 2023").
    public var occurredAt: Date
    /// When the fact starts to hold, if it is not always true.
    public var validFrom: Date?
    /// When the fact stops holding (inclusive), if it does.
    public var validTo: Date?
    /// The conversation, document or stream the entry belongs to (1–128 bytes), so a search
    /// can return the entries around a hit (`context`).
    public var thread: String?
    /// Its place in `thread` (ascending); `nil`: after every positioned entry, in id order.
    public var position: Int64?
    /// A learned fact held back for review (it may contradict a live entry): left out of
    /// searches and prompts unless asked for; listed, marked. JSON `pending`, present only
    /// when true.
    public var pending: Bool
    /// Entries this one may contradict (a learned fact that came close to them in topic
    /// without repeating them). JSON `conflicts_with`, present only when not empty.
    public var conflictsWith: [UInt64]
    /// Created by `learn` and not since edited or accepted by a person: in a conflict, entries
    /// that are not learned (written or edited by a person) or are pinned outrank it. JSON
    /// `learned`, present only when true.
    public var learned: Bool
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
        occurredAt = draft.occurredAt ?? draft.createdAt
        validFrom = draft.validFrom
        validTo = draft.validTo
        thread = draft.thread
        position = draft.position
        pending = draft.pending
        conflictsWith = draft.conflictsWith
        learned = draft.learned
    }

    /// Whether a person's word stands behind it: pinned, or not (or no longer) a learned fact.
    public var isAuthoritative: Bool { pinned || !learned }

    package enum CodingKeys: String, CodingKey {
        case id, namespace, text, tags, metadata, source, confidence, evidence, pinned, version, slot, thread, position
        case pending, learned
        case conflictsWith = "conflicts_with"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastUsedAt = "last_used_at"
        case useCount = "use_count"
        case expiresAt = "expires_at"
        case occurredAt = "occurred_at"
        case validFrom = "valid_from"
        case validTo = "valid_to"
    }

    /// Every field required but the optional ones; `occurred_at`, absent from entries written
    /// before event time existed, defaults to `created_at`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let createdAt = try c.decode(Date.self, forKey: .createdAt)
        self.init(id: try c.decode(UInt64.self, forKey: .id), namespace: try c.decode(String.self, forKey: .namespace),
                  slot: try c.decode(UInt32.self, forKey: .slot), draft: MemoryDraft(
                    text: try c.decode(String.self, forKey: .text), tags: try c.decode([String].self, forKey: .tags),
                    metadata: try c.decode([String: JSONValue].self, forKey: .metadata),
                    source: try c.decode(String.self, forKey: .source), confidence: try c.decode(Double.self, forKey: .confidence),
                    evidence: try c.decode(Evidence.self, forKey: .evidence), pinned: try c.decode(Bool.self, forKey: .pinned),
                    createdAt: createdAt, updatedAt: try c.decode(Date.self, forKey: .updatedAt),
                    lastUsedAt: try c.decodeIfPresent(Date.self, forKey: .lastUsedAt),
                    useCount: try c.decode(UInt64.self, forKey: .useCount), version: try c.decode(UInt64.self, forKey: .version),
                    expiresAt: try c.decodeIfPresent(Date.self, forKey: .expiresAt),
                    occurredAt: try c.decodeIfPresent(Date.self, forKey: .occurredAt),
                    validFrom: try c.decodeIfPresent(Date.self, forKey: .validFrom),
                    validTo: try c.decodeIfPresent(Date.self, forKey: .validTo),
                    thread: try c.decodeIfPresent(String.self, forKey: .thread),
                    position: try c.decodeIfPresent(Int64.self, forKey: .position),
                    pending: try c.decodeIfPresent(Bool.self, forKey: .pending) ?? false,
                    conflictsWith: try c.decodeIfPresent([UInt64].self, forKey: .conflictsWith) ?? [],
                    learned: try c.decodeIfPresent(Bool.self, forKey: .learned) ?? false))
    }

    /// The synthesized form, with `pending`, `conflicts_with` and `learned` left out at their
    /// defaults (so entries without them read and write as before) and `nil` optionals omitted.
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
        try c.encodeIfPresent(lastUsedAt, forKey: .lastUsedAt)
        try c.encode(useCount, forKey: .useCount)
        try c.encode(version, forKey: .version)
        try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encode(occurredAt, forKey: .occurredAt)
        try c.encodeIfPresent(validFrom, forKey: .validFrom)
        try c.encodeIfPresent(validTo, forKey: .validTo)
        try c.encodeIfPresent(thread, forKey: .thread)
        try c.encodeIfPresent(position, forKey: .position)
        if pending { try c.encode(true, forKey: .pending) }
        if !conflictsWith.isEmpty { try c.encode(conflictsWith, forKey: .conflictsWith) }
        if learned { try c.encode(true, forKey: .learned) }
        try c.encode(slot, forKey: .slot)
    }
}

/// What a caller supplies to create an entry. Imports may carry every historical field
/// (`useCount`, `version`, timestamps); new memories take the defaults.
public struct MemoryDraft: Sendable, Hashable, Codable {
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
    /// Defaults to `createdAt`.
    public var occurredAt: Date?
    public var validFrom: Date?
    public var validTo: Date?
    public var thread: String?
    public var position: Int64?
    /// See ``MemoryEntry/pending``, ``MemoryEntry/conflictsWith``, ``MemoryEntry/learned``.
    public var pending: Bool
    public var conflictsWith: [UInt64]
    public var learned: Bool

    public init(text: String, tags: [String] = [], metadata: [String: JSONValue] = [:], source: String = "user",
                confidence: Double = 0.5, evidence: Evidence = Evidence(), pinned: Bool = false,
                createdAt: Date = Date(), updatedAt: Date? = nil, lastUsedAt: Date? = nil, useCount: UInt64 = 0,
                version: UInt64 = 1, expiresAt: Date? = nil, occurredAt: Date? = nil, validFrom: Date? = nil,
                validTo: Date? = nil, thread: String? = nil, position: Int64? = nil, pending: Bool = false,
                conflictsWith: [UInt64] = [], learned: Bool = false) {
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
        self.occurredAt = occurredAt
        self.validFrom = validFrom
        self.validTo = validTo
        self.thread = thread
        self.position = position
        self.pending = pending
        self.conflictsWith = conflictsWith
        self.learned = learned
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
