import EngramJSON

// How text is matched by words and how the two rankings (vector, lexical) are combined: a
// namespace's settings (stored with its configuration, chosen at creation) and a search's
// overrides. docs/engine.md, "Hybrid retrieval", explains the choices and their measurements.

/// Which retrieval a search runs.
public enum SearchMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Nearest neighbours of the query's embedding (HNSW).
    case vector
    /// BM25 over the words of the entries (the lexical index); no embedding is computed.
    case lexical
    /// Both, fused (``FusionMethod``).
    case hybrid
}

/// How a hybrid search combines its vector and lexical rankings.
public enum FusionMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reciprocal rank fusion: `Σ wᵢ / (rrf_k + rankᵢ)` (rank from 1; an entry missing from a
    /// ranking's candidates gets nothing from it). Scale-free: only ranks count.
    case rrf
    /// Score blending: `(w_v·v̂ + w_l·l̂) / (w_v + w_l)`, where v̂ and l̂ are the vector
    /// similarity and BM25 score min-max normalised over the union of both rankings'
    /// candidates (each candidate's missing score is computed exactly).
    case blend
}

/// English stemming for the lexical index ("connected" and "connection" → "connect").
public enum Stemming: String, Sendable, Hashable, Codable, CaseIterable {
    case none, english
}

/// Which stop words the lexical index leaves out.
public enum StopWords: String, Sendable, Hashable, Codable, CaseIterable {
    case none, english
}

/// A namespace's lexical index: tokenisation and the BM25 parameters. Fixed at creation
/// (the stored terms depend on them). Decodes strictly; absent members take the defaults.
public struct LexicalOptions: Sendable, Hashable, Codable {
    public var stemming: Stemming
    public var stopWords: StopWords
    /// Term-frequency saturation: 0…3 (0: a term counts once however often it occurs).
    public var k1: Double
    /// Length normalisation: 0 (none) … 1 (full).
    public var b: Double

    public init(stemming: Stemming = .english, stopWords: StopWords = .english, k1: Double = 0.9, b: Double = 0.4) {
        self.stemming = stemming
        self.stopWords = stopWords
        self.k1 = k1
        self.b = b
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case stemming, k1, b
        case stopWords = "stop_words"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LexicalOptions()
        stemming = try c.decodeIfPresent(Stemming.self, forKey: .stemming) ?? d.stemming
        stopWords = try c.decodeIfPresent(StopWords.self, forKey: .stopWords) ?? d.stopWords
        k1 = try c.decodeIfPresent(Double.self, forKey: .k1) ?? d.k1
        b = try c.decodeIfPresent(Double.self, forKey: .b) ?? d.b
    }

    /// Why these options are unusable, or `nil`.
    public var problem: String? {
        guard k1.isFinite, (0...3).contains(k1) else { return "lexical k1 must be in 0…3, got \(k1)" }
        guard b.isFinite, (0...1).contains(b) else { return "lexical b must be in 0…1, got \(b)" }
        return nil
    }
}

/// A namespace's search defaults: the mode of a text search that names none, and the fusion
/// of hybrid searches. Decodes strictly; absent members take the defaults.
public struct SearchDefaults: Sendable, Hashable, Codable {
    public var mode: SearchMode
    public var fusion: FusionMethod
    /// Weight of the vector ranking (RRF) or of the normalised vector score (blend): 0…1000.
    public var vectorWeight: Double
    /// Weight of the lexical ranking or score: 0…1000.
    public var lexicalWeight: Double
    /// RRF's rank offset: larger flattens the difference between the first ranks. 1…1000.
    public var rrfK: Double
    /// How many candidates each ranking contributes to the fusion (at least `k` are used): 1…1000.
    public var candidates: Int

    public init(mode: SearchMode = .hybrid, fusion: FusionMethod = .blend, vectorWeight: Double = 1,
                lexicalWeight: Double = 1, rrfK: Double = 60, candidates: Int = 50) {
        self.mode = mode
        self.fusion = fusion
        self.vectorWeight = vectorWeight
        self.lexicalWeight = lexicalWeight
        self.rrfK = rrfK
        self.candidates = candidates
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, fusion, candidates
        case vectorWeight = "vector_weight"
        case lexicalWeight = "lexical_weight"
        case rrfK = "rrf_k"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SearchDefaults()
        mode = try c.decodeIfPresent(SearchMode.self, forKey: .mode) ?? d.mode
        fusion = try c.decodeIfPresent(FusionMethod.self, forKey: .fusion) ?? d.fusion
        vectorWeight = try c.decodeIfPresent(Double.self, forKey: .vectorWeight) ?? d.vectorWeight
        lexicalWeight = try c.decodeIfPresent(Double.self, forKey: .lexicalWeight) ?? d.lexicalWeight
        rrfK = try c.decodeIfPresent(Double.self, forKey: .rrfK) ?? d.rrfK
        candidates = try c.decodeIfPresent(Int.self, forKey: .candidates) ?? d.candidates
    }

    /// These defaults with a search's overrides applied.
    public func overridden(by fusion: FusionOptions?) -> SearchDefaults {
        guard let fusion else { return self }
        var result = self
        if let method = fusion.method { result.fusion = method }
        if let weight = fusion.vectorWeight { result.vectorWeight = weight }
        if let weight = fusion.lexicalWeight { result.lexicalWeight = weight }
        if let rrfK = fusion.rrfK { result.rrfK = rrfK }
        if let candidates = fusion.candidates { result.candidates = candidates }
        return result
    }

    /// Why these settings are unusable, or `nil`.
    public var problem: String? {
        for (name, weight) in [("vector_weight", vectorWeight), ("lexical_weight", lexicalWeight)] {
            guard weight.isFinite, (0...1000).contains(weight) else { return "fusion \(name) must be in 0…1000, got \(weight)" }
        }
        guard vectorWeight + lexicalWeight > 0 else { return "fusion weights must not both be 0" }
        guard rrfK.isFinite, (1...1000).contains(rrfK) else { return "fusion rrf_k must be in 1…1000, got \(rrfK)" }
        guard (1...1000).contains(candidates) else { return "fusion candidates must be in 1…1000, got \(candidates)" }
        return nil
    }
}

/// A search's fusion overrides: each absent member takes the namespace's ``SearchDefaults``.
public struct FusionOptions: Sendable, Hashable, Codable {
    public var method: FusionMethod?
    public var vectorWeight: Double?
    public var lexicalWeight: Double?
    public var rrfK: Double?
    public var candidates: Int?

    public init(method: FusionMethod? = nil, vectorWeight: Double? = nil, lexicalWeight: Double? = nil,
                rrfK: Double? = nil, candidates: Int? = nil) {
        self.method = method
        self.vectorWeight = vectorWeight
        self.lexicalWeight = lexicalWeight
        self.rrfK = rrfK
        self.candidates = candidates
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case method, candidates
        case vectorWeight = "vector_weight"
        case lexicalWeight = "lexical_weight"
        case rrfK = "rrf_k"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(FusionMethod.self, forKey: .method)
        vectorWeight = try c.decodeIfPresent(Double.self, forKey: .vectorWeight)
        lexicalWeight = try c.decodeIfPresent(Double.self, forKey: .lexicalWeight)
        rrfK = try c.decodeIfPresent(Double.self, forKey: .rrfK)
        candidates = try c.decodeIfPresent(Int.self, forKey: .candidates)
    }
}

/// Why a hit came back: the score of each retrieval that found or scored it.
public struct ScoreComponents: Sendable, Hashable, Codable {
    /// The vector similarity (as ``SearchHit/similarity``); `nil` in lexical mode.
    public var vector: Double?
    /// The BM25 score (0 when no query term is in the entry); `nil` in vector mode.
    public var lexical: Double?
    /// The fused score of a hybrid search; `nil` otherwise.
    public var fused: Double?

    public init(vector: Double? = nil, lexical: Double? = nil, fused: Double? = nil) {
        self.vector = vector
        self.lexical = lexical
        self.fused = fused
    }
}
