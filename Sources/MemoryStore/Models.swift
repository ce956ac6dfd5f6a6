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
    /// Tokenisation and BM25 parameters of the lexical index.
    public var lexical: LexicalOptions
    /// The mode of a text search that names none, and the fusion of hybrid searches.
    public var search: SearchDefaults
    /// Learning overrides of the engine's defaults (conflict policy and thresholds).
    public var learning: LearningPolicy

    public init(name: String, dimension: Int, metric: Metric = .cosine, parameters: HNSWParameters = HNSWParameters(),
                embedderID: String? = nil, createdAt: Date = Date(), lexical: LexicalOptions = LexicalOptions(),
                search: SearchDefaults = SearchDefaults(), learning: LearningPolicy = LearningPolicy()) {
        self.learning = learning
        self.name = name
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.embedderID = embedderID
        self.createdAt = createdAt
        self.lexical = lexical
        self.search = search
    }

    enum CodingKeys: String, CodingKey {
        case name, dimension, metric, parameters, lexical, search, learning
        case embedderID = "embedder_id"
        case createdAt = "created_at"
    }

    /// Records written before the lexical index (schema 1) have no `lexical` or `search`:
    /// they take the defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        dimension = try c.decode(Int.self, forKey: .dimension)
        metric = try c.decode(Metric.self, forKey: .metric)
        parameters = try c.decode(HNSWParameters.self, forKey: .parameters)
        embedderID = try c.decodeIfPresent(String.self, forKey: .embedderID)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        lexical = try c.decodeIfPresent(LexicalOptions.self, forKey: .lexical) ?? LexicalOptions()
        search = try c.decodeIfPresent(SearchDefaults.self, forKey: .search) ?? SearchDefaults()
        learning = try c.decodeIfPresent(LearningPolicy.self, forKey: .learning) ?? LearningPolicy()
    }
}

/// A namespace with its live figures.
public struct NamespaceInfo: Sendable, Equatable {
    public var config: NamespaceConfig
    /// Entries stored (equals the index's live count in a consistent store).
    public var entryCount: Int
    public var index: HNSWIndex.Statistics
    /// Distinct terms in the lexical index.
    public var lexicalTerms: Int = 0
    /// Bytes the lexical index holds in memory (approximate).
    public var lexicalBytes: Int = 0
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

