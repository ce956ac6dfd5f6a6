public import EngramJSON
public import Foundation

// `POST …/search`: the request, its filter and ranking options, and the response.

/// An inclusive time range; either end may be open.
public struct TimeRange: Sendable, Hashable, Codable {
    public var from: Date?
    public var to: Date?

    public init(from: Date? = nil, to: Date? = nil) {
        self.from = from
        self.to = to
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case from, to }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        from = try c.decodeIfPresent(Date.self, forKey: .from)
        to = try c.decodeIfPresent(Date.self, forKey: .to)
    }
}

/// Which entries a search may return; every condition given must hold.
public struct SearchFilter: Sendable, Hashable, Codable {
    /// At least one of these tags.
    public var tagsAny: [String]?
    /// Every one of these tags.
    public var tagsAll: [String]?
    /// One of these sources (JSON `source`).
    public var sources: [String]?
    public var minConfidence: Double?
    public var created: TimeRange?
    public var updated: TimeRange?
    /// Metadata members equal to these values.
    public var metadata: [String: JSONValue]?
    public var pinned: Bool?

    public init(tagsAny: [String]? = nil, tagsAll: [String]? = nil, sources: [String]? = nil, minConfidence: Double? = nil,
                created: TimeRange? = nil, updated: TimeRange? = nil, metadata: [String: JSONValue]? = nil,
                pinned: Bool? = nil) {
        self.tagsAny = tagsAny
        self.tagsAll = tagsAll
        self.sources = sources
        self.minConfidence = minConfidence
        self.created = created
        self.updated = updated
        self.metadata = metadata
        self.pinned = pinned
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tagsAny = "tags_any"
        case tagsAll = "tags_all"
        case sources = "source"
        case minConfidence = "min_confidence"
        case created, updated, metadata, pinned
    }

    /// Whether no condition is set (such a filter admits every entry).
    public var isEmpty: Bool {
        tagsAny == nil && tagsAll == nil && sources == nil && minConfidence == nil && created == nil
            && updated == nil && metadata == nil && pinned == nil
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tagsAny = try c.decodeIfPresent([String].self, forKey: .tagsAny)
        tagsAll = try c.decodeIfPresent([String].self, forKey: .tagsAll)
        sources = try c.decodeIfPresent([String].self, forKey: .sources)
        minConfidence = try c.decodeIfPresent(Double.self, forKey: .minConfidence)
        created = try c.decodeIfPresent(TimeRange.self, forKey: .created)
        updated = try c.decodeIfPresent(TimeRange.self, forKey: .updated)
        metadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata)
        pinned = try c.decodeIfPresent(Bool.self, forKey: .pinned)
    }
}

/// Weights of the ranking score; each absent one takes the daemon's configured default.
public struct RankOptions: Sendable, Hashable, Codable {
    public var similarity: Double?
    public var confidence: Double?
    public var recency: Double?
    /// Seconds after which recency counts half.
    public var recencyHalfLife: Double?

    public init(similarity: Double? = nil, confidence: Double? = nil, recency: Double? = nil, recencyHalfLife: Double? = nil) {
        self.similarity = similarity
        self.confidence = confidence
        self.recency = recency
        self.recencyHalfLife = recencyHalfLife
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case similarity, confidence, recency
        case recencyHalfLife = "recency_half_life"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        similarity = try c.decodeIfPresent(Double.self, forKey: .similarity)
        confidence = try c.decodeIfPresent(Double.self, forKey: .confidence)
        recency = try c.decodeIfPresent(Double.self, forKey: .recency)
        recencyHalfLife = try c.decodeIfPresent(Double.self, forKey: .recencyHalfLife)
    }
}

/// `POST …/search`: by `text` (the daemon embeds it) or by `vector`.
///
/// The vector travels as `vector_b64` or `vector` and is taken out of the body before the
/// rest is decoded (see ``VectorBodySplitter``), so ``init(from:)`` reads neither.
public struct SearchRequest: Sendable, Hashable, Codable {
    public var text: String?
    public var vector: [Float]?
    /// Results wanted; the daemon's default when `nil`.
    public var k: Int?
    /// The index's search breadth; the namespace's default when `nil`.
    public var ef: Int?
    public var filter: SearchFilter?
    public var rank: RankOptions?

    public init(text: String? = nil, vector: [Float]? = nil, k: Int? = nil, ef: Int? = nil,
                filter: SearchFilter? = nil, rank: RankOptions? = nil) {
        self.text = text
        self.vector = vector
        self.k = k
        self.ef = ef
        self.filter = filter
        self.rank = rank
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case text, k, ef, filter, rank }

    enum VectorKeys: String, CodingKey { case vectorB64 = "vector_b64" }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        vector = nil
        k = try c.decodeIfPresent(Int.self, forKey: .k)
        ef = try c.decodeIfPresent(Int.self, forKey: .ef)
        filter = try c.decodeIfPresent(SearchFilter.self, forKey: .filter)
        rank = try c.decodeIfPresent(RankOptions.self, forKey: .rank)
    }

    /// The members given, the vector as `vector_b64` (see also ``jsonBytes()``).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(k, forKey: .k)
        try c.encodeIfPresent(ef, forKey: .ef)
        try c.encodeIfPresent(filter, forKey: .filter)
        try c.encodeIfPresent(rank, forKey: .rank)
        if let vector {
            var v = encoder.container(keyedBy: VectorKeys.self)
            try v.encode(VectorCodec.encodeBase64(vector), forKey: .vectorB64)
        }
    }
}

/// One search result.
public struct SearchHit: Sendable, Hashable, Codable {
    /// As stored, with this retrieval counted in `useCount`/`lastUsedAt`.
    public var entry: MemoryEntry
    /// The metric's distance (cosine: `1 − cos`; l2: squared Euclidean).
    public var distance: Float
    /// Larger is closer: cosine similarity, or `1 / (1 + distance)` under l2.
    public var similarity: Double
    /// The ranking score (equals `similarity` without ranking); hits are sorted by it.
    public var score: Double

    public init(entry: MemoryEntry, distance: Float, similarity: Double, score: Double) {
        self.entry = entry
        self.distance = distance
        self.similarity = similarity
        self.score = score
    }
}

/// `POST …/search`'s document.
public struct SearchResponse: Sendable, Hashable, Codable {
    public var hits: [SearchHit]

    public init(hits: [SearchHit]) {
        self.hits = hits
    }
}
