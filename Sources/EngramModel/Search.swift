#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import EngramJSON

// What a search asks for (its filter and ranking options) and what it returns, and the
// signals that feed confidence. Request members decode strictly: an unknown member is an
// error, since a misspelt filter would otherwise silently admit everything.

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
    /// When the fact happened or was said (``MemoryEntry/occurredAt``).
    public var occurred: TimeRange?
    /// Only facts valid at this instant: `valid_from` ≤ it ≤ `valid_to`, an absent end open.
    public var validAt: Date?
    /// Only entries of this thread.
    public var thread: String?
    public var maxConfidence: Double?
    /// Which entries by review status; absent: `active` in searches (pending facts are left
    /// out), `any` in listings.
    public var status: StatusFilter?
    /// `true`: only entries that may contradict others (`conflicts_with` not empty); `false`:
    /// only entries that do not.
    public var conflicting: Bool?

    public init(tagsAny: [String]? = nil, tagsAll: [String]? = nil, sources: [String]? = nil, minConfidence: Double? = nil,
                created: TimeRange? = nil, updated: TimeRange? = nil, metadata: [String: JSONValue]? = nil,
                pinned: Bool? = nil, occurred: TimeRange? = nil, validAt: Date? = nil, thread: String? = nil,
                maxConfidence: Double? = nil, status: StatusFilter? = nil, conflicting: Bool? = nil) {
        self.maxConfidence = maxConfidence
        self.status = status
        self.conflicting = conflicting
        self.tagsAny = tagsAny
        self.tagsAll = tagsAll
        self.sources = sources
        self.minConfidence = minConfidence
        self.created = created
        self.updated = updated
        self.metadata = metadata
        self.pinned = pinned
        self.occurred = occurred
        self.validAt = validAt
        self.thread = thread
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tagsAny = "tags_any"
        case tagsAll = "tags_all"
        case sources = "source"
        case minConfidence = "min_confidence"
        case maxConfidence = "max_confidence"
        case validAt = "valid_at"
        case created, updated, metadata, pinned, occurred, thread, status, conflicting
    }

    /// Whether no condition is set (such a filter admits every active entry).
    public var isEmpty: Bool {
        tagsAny == nil && tagsAll == nil && sources == nil && minConfidence == nil && created == nil
            && updated == nil && metadata == nil && pinned == nil && occurred == nil && validAt == nil && thread == nil
            && maxConfidence == nil && status == nil && conflicting == nil
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
        occurred = try c.decodeIfPresent(TimeRange.self, forKey: .occurred)
        validAt = try c.decodeIfPresent(Date.self, forKey: .validAt)
        thread = try c.decodeIfPresent(String.self, forKey: .thread)
        maxConfidence = try c.decodeIfPresent(Double.self, forKey: .maxConfidence)
        status = try c.decodeIfPresent(StatusFilter.self, forKey: .status)
        conflicting = try c.decodeIfPresent(Bool.self, forKey: .conflicting)
    }
}

/// Entries by review status (``MemoryEntry/pending``).
public enum StatusFilter: String, Sendable, Hashable, Codable, CaseIterable {
    /// Live knowledge: not pending (the default of searches and prompts).
    case active
    /// Only facts held for review.
    case pending
    /// Both.
    case any
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

/// One search result.
public struct SearchHit: Sendable, Hashable, Codable {
    /// As stored, with this retrieval counted in `useCount`/`lastUsedAt`.
    public var entry: MemoryEntry
    /// The metric's distance (cosine: `1 − cos`; l2: squared Euclidean); `nil` in lexical
    /// mode (no embedding is computed).
    public var distance: Float?
    /// Larger is closer: cosine similarity, or `1 / (1 + distance)` under l2; `nil` in
    /// lexical mode.
    public var similarity: Double?
    /// The ranking score: the similarity (vector), the BM25 score (lexical) or the fused score
    /// (hybrid), or with `rank` the ranking formula over it. Hits are sorted by it.
    public var score: Double
    /// The score of each retrieval behind this hit.
    public var components: ScoreComponents?
    /// The entries around it in its thread, when the search asked for `context`.
    public var context: HitContext?

    public init(entry: MemoryEntry, distance: Float?, similarity: Double?, score: Double, components: ScoreComponents? = nil,
                context: HitContext? = nil) {
        self.entry = entry
        self.distance = distance
        self.similarity = similarity
        self.score = score
        self.components = components
        self.context = context
    }
}

/// A hit's neighbours in its thread (``MemoryEntry/thread``), each list nearest first.
public struct HitContext: Sendable, Hashable, Codable {
    /// The entries just before it, the closest first.
    public var before: [MemoryEntry]
    /// The entries just after it, the closest first.
    public var after: [MemoryEntry]

    public init(before: [MemoryEntry], after: [MemoryEntry]) {
        self.before = before
        self.after = after
    }
}

/// What a client reports about an entry it used.
public enum FeedbackSignal: String, Sendable, Hashable, Codable, CaseIterable {
    /// It helped: `evidence.useful` + 1.
    case useful
    /// It was retrieved but did not help: `evidence.notUseful` + 1.
    case notUseful = "not_useful"
    /// Something showed it wrong: `evidence.contradictions` + 1.
    case contradicted
}

/// `search` (recall).
public struct SearchRequest: Sendable, Hashable {
    /// Embedded by the engine when `vector` is `nil`.
    public var text: String?
    public var vector: [Float]?
    /// 1…`maxK`; `nil`: the configured default.
    public var k: Int?
    /// Candidate list size (≥ k is used); `nil`: the configured or namespace default.
    public var ef: Int?
    public var filter: SearchFilter?
    /// `nil`: order by similarity only (the default). Present: rank, with the weights it
    /// leaves out taken from the configuration.
    public var rank: RankOptions?
    /// `nil`: the namespace's default for a text search, `vector` for a vector search (the
    /// only mode a vector query can use).
    public var mode: SearchMode?
    /// Overrides of the namespace's fusion settings (hybrid mode).
    public var fusion: FusionOptions?
    /// 0…20: with each hit, up to this many entries before and after it in its thread
    /// (those the filter admits). `nil` or 0: none.
    public var context: Int?

    public init(text: String? = nil, vector: [Float]? = nil, k: Int? = nil, ef: Int? = nil,
                filter: SearchFilter? = nil, rank: RankOptions? = nil, mode: SearchMode? = nil,
                fusion: FusionOptions? = nil, context: Int? = nil) {
        self.text = text
        self.vector = vector
        self.k = k
        self.ef = ef
        self.filter = filter
        self.rank = rank
        self.mode = mode
        self.fusion = fusion
        self.context = context
    }
}
