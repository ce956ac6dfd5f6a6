#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
public import HNSW
public import VectorMath
@_exported public import EngramModel

/// Ranking that blends relevance with confidence and recency:
/// `score = relevance·wₛ + confidence·w꜀ + recency·wᵣ`, where `recency = 2^(−age / halfLife)`
/// of the entry's `occurred_at` (1 for a fresh fact, ½ after one half-life).
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
    public var lexical: LexicalOptions
    public var search: SearchDefaults
    /// Learning overrides (absent members: the engine's configuration).
    public var learning: LearningPolicy
    /// Whether the caller chose `parameters.quantization`. When it did not, the request
    /// matches an existing namespace of either quantization (namespaces created before the
    /// default became `int8` have none), and only a new namespace takes the default.
    public var quantizationGiven: Bool

    public init(dimension: Int? = nil, metric: Metric = .cosine, parameters: HNSWParameters = HNSWParameters(),
                lexical: LexicalOptions = LexicalOptions(), search: SearchDefaults = SearchDefaults(),
                learning: LearningPolicy = LearningPolicy(), quantizationGiven: Bool = true) {
        self.quantizationGiven = quantizationGiven
        self.learning = learning
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.lexical = lexical
        self.search = search
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

extension EditRequest {
    /// Whether the edit changes nothing.
    var isEmpty: Bool {
        text == nil && vector == nil && tags == nil && metadata == nil && source == nil && confidence == nil
            && pinned == nil && expiresAt == nil && clearExpiry != true && occurredAt == nil && validFrom == nil
            && validTo == nil && clearValidity != true && thread == nil && position == nil
    }
}
