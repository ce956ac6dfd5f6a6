#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import HNSW
public import MemoryStore
public import VectorMath

/// The outcome of a write: the entry after it (before it, for a forget) and the audit
/// sequence number of the event that records it.
public struct WriteOutcome: Sendable, Equatable {
    public var entry: MemoryEntry
    public var sequence: UInt64

    public init(entry: MemoryEntry, sequence: UInt64) {
        self.entry = entry
        self.sequence = sequence
    }
}

/// What `learn` did.
public enum LearnAction: String, Sendable, Equatable {
    /// No near-duplicate: a new entry was created (audit `created`).
    case created
    /// A near-duplicate was reinforced (audit `reinforced`).
    case reinforced
    /// The nearest near-duplicate is pinned: nothing was written; `entry` is the pinned one.
    case matchedPinned = "matched_pinned"
}

/// The outcome of `learn`.
public struct LearnOutcome: Sendable, Equatable {
    public var action: LearnAction
    /// The created, reinforced or matched entry.
    public var entry: MemoryEntry
    /// The write's audit sequence; `nil` for `matchedPinned` (nothing was written).
    public var sequence: UInt64?
    /// Cosine similarity to the matched entry (`nil` when created).
    public var similarity: Double?
}

/// One search result.
public struct SearchHit: Sendable, Equatable {
    /// As stored, with this retrieval counted in `useCount`/`lastUsedAt`.
    public var entry: MemoryEntry
    /// The metric's distance (cosine: `1 − cos`; l2: squared Euclidean).
    public var distance: Float
    /// Larger is closer: cosine similarity, or `1 / (1 + distance)` under l2.
    public var similarity: Double
    /// The ranking score (equals `similarity` without ranking); results are sorted by it.
    public var score: Double

    /// Package-wide, for the client's reader of search responses.
    package init(entry: MemoryEntry, distance: Float, similarity: Double, score: Double) {
        self.entry = entry
        self.distance = distance
        self.similarity = similarity
        self.score = score
    }
}

/// A page of entries, in id (creation) order.
public struct EntryList: Sendable, Equatable {
    public var entries: [MemoryEntry]
    /// Pass as `after` for the next page; `nil` on the last page.
    public var nextCursor: UInt64?
    /// Records of the page's range that could not be read, skipped; `nil` when none.
    public var damaged: [DamagedRecord]? = nil

}

/// A page of audit events, in sequence order.
public struct AuditPage: Sendable, Equatable {
    public var events: [AuditEvent]
    /// Pass as `after` for the next page; `nil` when there is none.
    public var nextCursor: UInt64?

}

/// A namespace's configuration and live figures.
public struct NamespaceStats: Sendable, Equatable {
    public var name: String
    public var dimension: Int
    public var metric: Metric
    public var parameters: HNSWParameters
    public var embedderID: String?
    public var createdAt: Date
    /// Live entries (expired ones not yet purged included).
    public var entryCount: Int
    public var deletedNodes: Int
    public var freeSlots: Int
    public var maxLevel: Int
    /// Bytes the index holds in memory.
    public var indexBytes: Int

    /// The figures as a client received them over the API.
    public init(name: String, dimension: Int, metric: Metric, parameters: HNSWParameters, embedderID: String?,
                createdAt: Date, entryCount: Int, deletedNodes: Int, freeSlots: Int, maxLevel: Int, indexBytes: Int) {
        self.name = name
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.embedderID = embedderID
        self.createdAt = createdAt
        self.entryCount = entryCount
        self.deletedNodes = deletedNodes
        self.freeSlots = freeSlots
        self.maxLevel = maxLevel
        self.indexBytes = indexBytes
    }

    init(_ info: NamespaceInfo) {
        name = info.config.name
        dimension = info.config.dimension
        metric = info.config.metric
        parameters = info.config.parameters
        embedderID = info.config.embedderID
        createdAt = info.config.createdAt
        entryCount = info.entryCount
        deletedNodes = info.index.deletedNodes
        freeSlots = info.index.freeSlots
        maxLevel = info.index.maxLevel
        indexBytes = info.index.allocatedBytes
    }

}

/// The outcome of `purgeExpired`.
public struct PurgeOutcome: Sendable, Equatable {
    /// Entries deleted with an `expired` event.
    public var purged: Int
    /// Sequence of the last event written, or `nil` when nothing was purged.
    public var lastSequence: UInt64?
    /// Whether expired entries remain (the limit was reached).
    public var more: Bool
}
