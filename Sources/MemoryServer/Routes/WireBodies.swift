import HNSW
import MemoryEngine
import MemoryStore
import VectorMath

// Request bodies of the domain routes as the API accepts them: each rejects unknown fields
// (a misspelt field would otherwise silently do nothing) and adds the audit fields `actor`
// and `reason` to the engine's request types, which it then decodes unchanged.

/// `POST …/memories` and `POST …/learn`. The `vector` / `vector_b64` member is taken out by
/// ``VectorBodySplitter`` before this is decoded.
struct RememberBody: Decodable {
    var request: RememberRequest
    var actor: String?
    var reason: String?

    enum Keys: String, CodingKey, CaseIterable {
        case text, tags, metadata, source, confidence, pinned, expires_at, actor, reason
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        request = try RememberRequest(from: decoder)
        let container = try decoder.container(keyedBy: Keys.self)
        actor = try container.decodeIfPresent(String.self, forKey: .actor)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
    }
}

/// `PATCH …/memories/{id}`.
struct EditBody: Decodable {
    var request: EditRequest
    var actor: String?
    var reason: String?

    enum Keys: String, CodingKey, CaseIterable {
        case text, vector, tags, metadata, source, confidence, pinned, expires_at, clear_expiry, actor, reason
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        request = try EditRequest(from: decoder)
        let container = try decoder.container(keyedBy: Keys.self)
        actor = try container.decodeIfPresent(String.self, forKey: .actor)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
    }
}

/// `POST …/memories/{id}/revert`: `{"version": N}`, optionally the caller's vector of that
/// version's text.
struct RevertBody: Decodable {
    var version: UInt64
    var vector: [Float]?
    var actor: String?
    var reason: String?

    enum Keys: String, CodingKey, CaseIterable { case version, vector, actor, reason }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let container = try decoder.container(keyedBy: Keys.self)
        version = try container.decode(UInt64.self, forKey: .version)
        vector = try container.decodeIfPresent([Float].self, forKey: .vector)
        actor = try container.decodeIfPresent(String.self, forKey: .actor)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
    }
}

/// `POST …/memories/{id}/feedback`: `{"signal": "useful" | "not_useful" | "contradicted"}`.
struct FeedbackBody: Decodable {
    var signal: FeedbackSignal
    var actor: String?
    var reason: String?

    enum Keys: String, CodingKey, CaseIterable { case signal, actor, reason }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let container = try decoder.container(keyedBy: Keys.self)
        signal = try container.decode(FeedbackSignal.self, forKey: .signal)
        actor = try container.decodeIfPresent(String.self, forKey: .actor)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
    }
}

/// `POST …/search` without its vector (taken out by ``VectorBodySplitter``). `filter` and
/// `rank` are checked for unknown fields too.
struct SearchBody: Decodable {
    var text: String?
    var k: Int?
    var ef: Int?
    var filter: SearchFilter?
    var rank: RankOptions?

    enum Keys: String, CodingKey, CaseIterable { case text, k, ef, filter, rank }

    /// Nothing set (for ``readPlain(_:)``).
    init() {}

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let container = try decoder.container(keyedBy: Keys.self)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        k = try container.decodeIfPresent(Int.self, forKey: .k)
        ef = try container.decodeIfPresent(Int.self, forKey: .ef)
        filter = try container.decodeIfPresent(StrictFilter.self, forKey: .filter)?.value
        rank = try container.decodeIfPresent(StrictRank.self, forKey: .rank)?.value
    }

    func request(vector: [Float]?) -> SearchRequest {
        SearchRequest(text: text, vector: vector, k: k, ef: ef, filter: filter, rank: rank)
    }
}

/// A ``SearchFilter`` that rejects unknown fields.
struct StrictFilter: Decodable {
    var value: SearchFilter

    enum Keys: String, CodingKey, CaseIterable {
        case tags_any, tags_all, source, min_confidence, created, updated, metadata, pinned
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        // The nested ranges are checked by their own strict type first.
        let container = try decoder.container(keyedBy: Keys.self)
        _ = try container.decodeIfPresent(StrictTimeRange.self, forKey: .created)
        _ = try container.decodeIfPresent(StrictTimeRange.self, forKey: .updated)
        value = try SearchFilter(from: decoder)
    }
}

/// The key check of a ``TimeRange`` (`{"from": …, "to": …}`) inside a filter.
struct StrictTimeRange: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case from, to }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
    }
}

/// ``Evidence`` that rejects unknown fields (an imported entry's `evidence`).
struct StrictEvidence: Decodable {
    var value: Evidence

    enum Keys: String, CodingKey, CaseIterable { case support, contradictions, useful, not_useful }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        value = try Evidence(from: decoder)
    }
}

/// ``RankOptions`` that reject unknown fields.
struct StrictRank: Decodable {
    var value: RankOptions

    enum Keys: String, CodingKey, CaseIterable { case similarity, confidence, recency, recency_half_life }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        value = try RankOptions(from: decoder)
    }
}

/// `PUT /v1/namespaces/{ns}`: every field optional (the embedder's dimension, cosine, the
/// default HNSW parameters).
struct NamespaceBody: Decodable {
    var dimension: Int?
    var metric: Metric?
    var parameters: ParametersBody?

    enum Keys: String, CodingKey, CaseIterable { case dimension, metric, parameters }

    init() {}

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let container = try decoder.container(keyedBy: Keys.self)
        dimension = try container.decodeIfPresent(Int.self, forKey: .dimension)
        metric = try container.decodeIfPresent(Metric.self, forKey: .metric)
        parameters = try container.decodeIfPresent(ParametersBody.self, forKey: .parameters)
    }

    var request: NamespaceRequest {
        NamespaceRequest(dimension: dimension, metric: metric ?? .cosine,
                         parameters: parameters?.resolved ?? HNSWParameters())
    }
}

/// HNSW parameters on the wire (snake case), each defaulting to ``HNSWParameters``'s.
struct ParametersBody: Codable {
    var m: Int?
    var ef_construction: Int?
    var ef_search: Int?
    var flat_threshold: Int?
    var consolidation_fraction: Double?
    var seed: UInt64?

    enum Keys: String, CodingKey, CaseIterable {
        case m, ef_construction, ef_search, flat_threshold, consolidation_fraction, seed
    }

    init(_ parameters: HNSWParameters) {
        m = parameters.m
        ef_construction = parameters.efConstruction
        ef_search = parameters.efSearch
        flat_threshold = parameters.flatThreshold
        consolidation_fraction = parameters.consolidationFraction
        seed = parameters.seed
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let container = try decoder.container(keyedBy: Keys.self)
        m = try container.decodeIfPresent(Int.self, forKey: .m)
        ef_construction = try container.decodeIfPresent(Int.self, forKey: .ef_construction)
        ef_search = try container.decodeIfPresent(Int.self, forKey: .ef_search)
        flat_threshold = try container.decodeIfPresent(Int.self, forKey: .flat_threshold)
        consolidation_fraction = try container.decodeIfPresent(Double.self, forKey: .consolidation_fraction)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
    }

    var resolved: HNSWParameters {
        let d = HNSWParameters()
        return HNSWParameters(m: m ?? d.m, efConstruction: ef_construction ?? d.efConstruction,
                              efSearch: ef_search ?? d.efSearch, flatThreshold: flat_threshold ?? d.flatThreshold,
                              consolidationFraction: consolidation_fraction ?? d.consolidationFraction,
                              seed: seed ?? d.seed)
    }
}
