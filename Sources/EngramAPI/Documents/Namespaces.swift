public import Foundation

// Namespaces, and the daemon's health document.

/// How a namespace measures closeness.
public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
    /// `1 − cos(a, b)`; vectors are normalized on the way in.
    case cosine
    /// Squared Euclidean distance.
    case l2
}

/// What a namespace's graph traversal scores.
public enum VectorQuantization: String, Sendable, Hashable, Codable, CaseIterable {
    /// Float dot products on the stored vectors.
    case none
    /// 8-bit codes per dimension (trained from the namespace's vectors), the final candidates
    /// re-ranked on the float vectors.
    case int8
    /// 4-bit codes, two dimensions a byte: half the memory traffic of `int8`, coarser
    /// distances (a larger `ef` for the same recall).
    case int4
}

/// A namespace's HNSW parameters as the API returns them.
public struct HNSWParameters: Sendable, Hashable, Codable {
    /// Links per node on the upper levels (twice that on level 0).
    public var m: Int
    public var efConstruction: Int
    /// The default search breadth.
    public var efSearch: Int
    /// Below this many entries a search is exact (a flat scan).
    public var flatThreshold: Int
    /// The fraction of deleted nodes that triggers consolidation.
    public var consolidationFraction: Double
    public var seed: UInt64
    /// What the traversal scores (`none` in documents written before quantization existed).
    public var quantization: VectorQuantization

    public init(m: Int, efConstruction: Int, efSearch: Int, flatThreshold: Int, consolidationFraction: Double, seed: UInt64,
                quantization: VectorQuantization = .none) {
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.flatThreshold = flatThreshold
        self.consolidationFraction = consolidationFraction
        self.seed = seed
        self.quantization = quantization
    }

    enum CodingKeys: String, CodingKey {
        case m, seed, quantization
        case efConstruction = "ef_construction"
        case efSearch = "ef_search"
        case flatThreshold = "flat_threshold"
        case consolidationFraction = "consolidation_fraction"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        m = try c.decode(Int.self, forKey: .m)
        efConstruction = try c.decode(Int.self, forKey: .efConstruction)
        efSearch = try c.decode(Int.self, forKey: .efSearch)
        flatThreshold = try c.decode(Int.self, forKey: .flatThreshold)
        consolidationFraction = try c.decode(Double.self, forKey: .consolidationFraction)
        seed = try c.decode(UInt64.self, forKey: .seed)
        quantization = try c.decodeIfPresent(VectorQuantization.self, forKey: .quantization) ?? .none
    }
}

/// HNSW parameters in a request: each absent one takes the daemon's default.
public struct HNSWParametersInput: Sendable, Hashable, Codable {
    public var m: Int?
    public var efConstruction: Int?
    public var efSearch: Int?
    public var flatThreshold: Int?
    public var consolidationFraction: Double?
    public var seed: UInt64?
    /// Absent: `int8` for a new namespace; an existing namespace keeps its own.
    public var quantization: VectorQuantization?

    public init(m: Int? = nil, efConstruction: Int? = nil, efSearch: Int? = nil, flatThreshold: Int? = nil,
                consolidationFraction: Double? = nil, seed: UInt64? = nil, quantization: VectorQuantization? = nil) {
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.flatThreshold = flatThreshold
        self.consolidationFraction = consolidationFraction
        self.seed = seed
        self.quantization = quantization
    }

    /// Every parameter given.
    public init(_ parameters: HNSWParameters) {
        self.init(m: parameters.m, efConstruction: parameters.efConstruction, efSearch: parameters.efSearch,
                  flatThreshold: parameters.flatThreshold, consolidationFraction: parameters.consolidationFraction,
                  seed: parameters.seed, quantization: parameters.quantization)
    }

    typealias CodingKeys = HNSWParameters.CodingKeys

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        m = try c.decodeIfPresent(Int.self, forKey: .m)
        efConstruction = try c.decodeIfPresent(Int.self, forKey: .efConstruction)
        efSearch = try c.decodeIfPresent(Int.self, forKey: .efSearch)
        flatThreshold = try c.decodeIfPresent(Int.self, forKey: .flatThreshold)
        consolidationFraction = try c.decodeIfPresent(Double.self, forKey: .consolidationFraction)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        quantization = try c.decodeIfPresent(VectorQuantization.self, forKey: .quantization)
    }
}

extension HNSWParameters.CodingKeys: CaseIterable {}

/// `PUT /v1/namespaces/{ns}`: every member optional (the embedder's dimension, cosine, the
/// default parameters).
public struct NamespaceRequest: Sendable, Hashable, Codable {
    public var dimension: Int?
    public var metric: Metric?
    public var parameters: HNSWParametersInput?
    /// The lexical index's tokenisation and BM25 parameters (absent members: defaults).
    public var lexical: LexicalOptions?
    /// The default search mode and fusion (absent members: defaults).
    public var search: SearchDefaults?
    /// Learning overrides: conflict policy and thresholds (absent members: the daemon's).
    public var learning: LearningPolicy?

    public init(dimension: Int? = nil, metric: Metric? = nil, parameters: HNSWParametersInput? = nil,
                lexical: LexicalOptions? = nil, search: SearchDefaults? = nil, learning: LearningPolicy? = nil) {
        self.learning = learning
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.lexical = lexical
        self.search = search
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case dimension, metric, parameters, lexical, search, learning }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dimension = try c.decodeIfPresent(Int.self, forKey: .dimension)
        metric = try c.decodeIfPresent(Metric.self, forKey: .metric)
        parameters = try c.decodeIfPresent(HNSWParametersInput.self, forKey: .parameters)
        lexical = try c.decodeIfPresent(LexicalOptions.self, forKey: .lexical)
        search = try c.decodeIfPresent(SearchDefaults.self, forKey: .search)
        learning = try c.decodeIfPresent(LearningPolicy.self, forKey: .learning)
    }
}

/// A namespace: its configuration and live figures.
public struct Namespace: Sendable, Hashable, Codable {
    public var name: String
    public var dimension: Int
    public var metric: Metric
    public var parameters: HNSWParameters
    /// Which embedder produced the vectors; `nil` when clients send their own.
    public var embedderID: String?
    public var createdAt: Date
    /// Live entries (expired ones not yet purged included).
    public var entryCount: Int
    public var deletedNodes: Int
    public var freeSlots: Int
    public var maxLevel: Int
    /// Bytes the index holds in memory.
    public var indexBytes: Int
    public var lexical: LexicalOptions
    public var search: SearchDefaults
    /// The namespace's learning overrides (absent members: the daemon's `[engine]` values).
    public var learning: LearningPolicy
    /// Distinct terms in the lexical index.
    public var lexicalTerms: Int
    /// Bytes the lexical index holds in memory (approximate).
    public var lexicalBytes: Int
    /// What searches traverse now: the namespace's codes (`int8`, `int4`) once it has trained
    /// them (at 1,024 nodes), else `none` (floats).
    public var traversal: VectorQuantization
    /// Whether the index holds its float vectors in memory; `false` when the daemon runs with
    /// `[storage] vectors_in_memory = false` and the namespace traverses codes: it then
    /// reads them from the data file's memory map to re-rank.
    public var vectorsInMemory: Bool

    public init(name: String, dimension: Int, metric: Metric, parameters: HNSWParameters, embedderID: String?,
                createdAt: Date, entryCount: Int, deletedNodes: Int, freeSlots: Int, maxLevel: Int, indexBytes: Int,
                lexical: LexicalOptions = LexicalOptions(), search: SearchDefaults = SearchDefaults(),
                lexicalTerms: Int = 0, lexicalBytes: Int = 0, learning: LearningPolicy = LearningPolicy(),
                traversal: VectorQuantization = .none, vectorsInMemory: Bool = true) {
        self.traversal = traversal
        self.vectorsInMemory = vectorsInMemory
        self.learning = learning
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
        self.lexical = lexical
        self.search = search
        self.lexicalTerms = lexicalTerms
        self.lexicalBytes = lexicalBytes
    }

    enum CodingKeys: String, CodingKey {
        case name, dimension, metric, parameters, lexical, search, learning, traversal
        case lexicalTerms = "lexical_terms"
        case lexicalBytes = "lexical_bytes"
        case embedderID = "embedder_id"
        case createdAt = "created_at"
        case entryCount = "entry_count"
        case deletedNodes = "deleted_nodes"
        case freeSlots = "free_slots"
        case maxLevel = "max_level"
        case indexBytes = "index_bytes"
        case vectorsInMemory = "vectors_in_memory"
    }
}

/// `GET /v1/namespaces`.
public struct NamespaceList: Sendable, Hashable, Codable {
    public var namespaces: [Namespace]

    public init(namespaces: [Namespace]) {
        self.namespaces = namespaces
    }
}

/// `DELETE /v1/namespaces/{ns}`.
public struct NamespaceDeleted: Sendable, Hashable, Codable {
    /// The namespace's name.
    public var deleted: String
    /// Sequence of the last `deleted` audit event; `nil` when the namespace held no entries.
    public var sequence: UInt64?

    public init(deleted: String, sequence: UInt64?) {
        self.deleted = deleted
        self.sequence = sequence
    }
}

/// `GET /v1/health`.
public struct Health: Sendable, Hashable, Codable {
    /// `ok` while the daemon serves.
    public var status: String
    public var version: String
    public var uptimeSeconds: Double
    public var pid: Int32
    /// Facts the daemon adds (BLAS backend, store state…).
    public var details: [String: String]

    public init(status: String, version: String, uptimeSeconds: Double, pid: Int32, details: [String: String]) {
        self.status = status
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.pid = pid
        self.details = details
    }

    enum CodingKeys: String, CodingKey {
        case status, version, pid, details
        case uptimeSeconds = "uptime_seconds"
    }
}
