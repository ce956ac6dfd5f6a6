#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import HNSW
public import VectorMath
public import EngramJSON
@_exported public import EngramModel

/// `remember` and `learn`: a new piece of knowledge.
///
/// Either `text` is embedded by the engine's embedder, or the caller sends `vector` (which
/// must have the namespace's dimension); `text` is required either way (it is the knowledge).
public struct RememberRequest: Sendable, Equatable {
    /// The knowledge: non-empty, at most 32 KiB of UTF-8.
    public var text: String
    /// The caller's embedding of `text`; `nil`: the engine embeds it.
    public var vector: [Float]?
    /// Each 1–128 bytes, no control characters; at most 64; duplicates are dropped.
    public var tags: [String]
    /// A JSON object of at most 16 KiB encoded.
    public var metadata: [String: JSONValue]
    /// Who taught it; 1–128 bytes. Default `user`.
    public var source: String
    /// 0…1; `nil`: the configured default.
    public var confidence: Double?
    /// Never changed by `learn`.
    public var pinned: Bool
    /// Must be in the future; the entry disappears from every read then and is purged later.
    public var expiresAt: Date?

    public init(text: String, vector: [Float]? = nil, tags: [String] = [], metadata: [String: JSONValue] = [:],
                source: String = "user", confidence: Double? = nil, pinned: Bool = false, expiresAt: Date? = nil) {
        self.text = text
        self.vector = vector
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.pinned = pinned
        self.expiresAt = expiresAt
    }

}

/// `edit`: the fields to change (`nil` leaves a field as it is). A new `text` is re-embedded
/// (or indexed under `vector` when the caller sends one) and re-indexed in the same write.
public struct EditRequest: Sendable, Equatable {
    public var text: String?
    /// Only with `text`: the caller's embedding of the new text.
    public var vector: [Float]?
    /// Replaces the tags.
    public var tags: [String]?
    /// Replaces the metadata object.
    public var metadata: [String: JSONValue]?
    public var source: String?
    /// Sets the confidence explicitly (later evidence moves it from there; see ``ConfidenceModel``).
    public var confidence: Double?
    public var pinned: Bool?
    /// Sets a (future) expiry.
    public var expiresAt: Date?
    /// Removes the expiry (cannot be combined with `expiresAt`).
    public var clearExpiry: Bool?

    public init(text: String? = nil, vector: [Float]? = nil, tags: [String]? = nil, metadata: [String: JSONValue]? = nil,
                source: String? = nil, confidence: Double? = nil, pinned: Bool? = nil, expiresAt: Date? = nil,
                clearExpiry: Bool? = nil) {
        self.text = text
        self.vector = vector
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.pinned = pinned
        self.expiresAt = expiresAt
        self.clearExpiry = clearExpiry
    }

    var isEmpty: Bool {
        text == nil && vector == nil && tags == nil && metadata == nil && source == nil && confidence == nil
            && pinned == nil && expiresAt == nil && clearExpiry != true
    }
}





/// Ranking that blends similarity with confidence and recency:
/// `score = similarity·wₛ + confidence·w꜀ + recency·wᵣ`, where `recency = 2^(−age / halfLife)`
/// of the entry's `updated_at` (1 for a fresh entry, ½ after one half-life).
public struct RankWeights: Sendable, Equatable, Codable {
    public var similarity: Double
    public var confidence: Double
    public var recency: Double
    /// Seconds; default 30 days.
    public var recencyHalfLife: Double

    public init(similarity: Double = 1, confidence: Double = 0.2, recency: Double = 0.1, recencyHalfLife: Double = 30 * 86_400) {
        self.similarity = similarity
        self.confidence = confidence
        self.recency = recency
        self.recencyHalfLife = recencyHalfLife
    }

    enum CodingKeys: String, CodingKey {
        case similarity, confidence, recency
        case recencyHalfLife = "recency_half_life"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RankWeights()
        similarity = try c.decodeIfPresent(Double.self, forKey: .similarity) ?? d.similarity
        confidence = try c.decodeIfPresent(Double.self, forKey: .confidence) ?? d.confidence
        recency = try c.decodeIfPresent(Double.self, forKey: .recency) ?? d.recency
        recencyHalfLife = try c.decodeIfPresent(Double.self, forKey: .recencyHalfLife) ?? d.recencyHalfLife
    }

    /// Weights in 0…1000, half-life positive. - Throws: `invalid_argument`.
    public func validate() throws(EngineError) {
        for (name, weight) in [("similarity", similarity), ("confidence", confidence), ("recency", recency)] {
            guard weight.isFinite, (0...1000).contains(weight) else {
                throw .invalidArgument("rank weight \(name) must be in 0…1000, got \(weight)")
            }
        }
        guard recencyHalfLife.isFinite, recencyHalfLife > 0 else {
            throw .invalidArgument("recency_half_life must be a positive number of seconds")
        }
    }
}


/// `createNamespace`: a namespace's fixed configuration.
public struct NamespaceRequest: Sendable, Equatable {
    /// `nil`: the embedder's dimension.
    public var dimension: Int?
    public var metric: Metric
    public var parameters: HNSWParameters

    public init(dimension: Int? = nil, metric: Metric = .cosine, parameters: HNSWParameters = HNSWParameters()) {
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
    }

}

extension FeedbackSignal {
    var observation: ConfidenceModel.Observation {
        switch self {
        case .useful: .useful
        case .notUseful: .notUseful
        case .contradicted: .contradiction
        }
    }
}

extension TimeRange {
    func contains(_ date: Date) -> Bool {
        if let from, date < from { return false }
        if let to, date > to { return false }
        return true
    }
}

extension RankOptions {
    /// These options with the missing weights taken from `defaults`.
    public func resolved(with defaults: RankWeights) -> RankWeights {
        RankWeights(similarity: similarity ?? defaults.similarity, confidence: confidence ?? defaults.confidence,
                    recency: recency ?? defaults.recency, recencyHalfLife: recencyHalfLife ?? defaults.recencyHalfLife)
    }
}
