#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import HNSW
public import VectorMath
@_exported public import EngramModel

/// A namespace's fixed configuration.
public struct NamespaceConfig: Sendable, Equatable, Codable {
    /// 1–128 of `[A-Za-z0-9._-]`.
    public var name: String
    public var dimension: Int
    public var metric: Metric
    public var parameters: HNSWParameters
    /// Which embedder produced the vectors (e.g. `all-MiniLM-L6-v2`); `nil` when clients
    /// send their own vectors.
    public var embedderID: String?
    /// Set by the store on creation.
    public var createdAt: Date

    public init(name: String, dimension: Int, metric: Metric = .cosine, parameters: HNSWParameters = HNSWParameters(),
                embedderID: String? = nil, createdAt: Date = Date()) {
        self.name = name
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.embedderID = embedderID
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case name, dimension, metric, parameters
        case embedderID = "embedder_id"
        case createdAt = "created_at"
    }
}

/// A namespace with its live figures.
public struct NamespaceInfo: Sendable, Equatable {
    public var config: NamespaceConfig
    /// Entries stored (equals the index's live count in a consistent store).
    public var entryCount: Int
    public var index: HNSWIndex.Statistics
}

/// The outcome of a write: the entry as stored after it (before it, for deletes) and the
/// sequence number of the audit event that records it.
public struct WriteResult: Sendable, Hashable {
    public var entry: MemoryEntry
    public var sequence: UInt64
}

/// One page of `MemoryStore.entries(namespace:after:limit:)`.
public struct EntryPage: Sendable, Hashable {
    public var entries: [MemoryEntry]
    /// Pass as `after` to get the next page; `nil` when this page is the last.
    public var nextCursor: UInt64?
    /// Records of this page's range that could not be read (skipped, not returned).
    public var damaged: [DamagedRecord] = []

    public init(entries: [MemoryEntry], nextCursor: UInt64?, damaged: [DamagedRecord] = []) {
        self.entries = entries
        self.nextCursor = nextCursor
        self.damaged = damaged
    }
}

