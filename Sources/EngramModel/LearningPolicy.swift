import EngramJSON

/// What `learn` does with a fact that may contradict a live entry.
public enum ConflictPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Store it `pending`: out of searches and prompts until review accepts it.
    case pending
    /// Store it live, linked to the entries it may contradict (`conflicts_with`); searches
    /// return it after those entries when a person's word stands behind them.
    case link
    /// Store it plainly, as if there were no conflict.
    case store
}

/// A namespace's learning settings; an absent member takes the daemon's `[engine]` value.
/// Decodes strictly.
public struct LearningPolicy: Sendable, Hashable, Codable {
    public var conflictPolicy: ConflictPolicy?
    /// Cosine similarity at or above which `learn` reinforces an entry instead of storing a
    /// new one (0…1).
    public var reinforceSimilarity: Double?
    /// The lower end of the conflict band: a fact at least this similar to a live entry whose
    /// values differ is a candidate conflict (0…1). The band reaches above
    /// `reinforce_similarity`: a near-duplicate whose values differ is never reinforced.
    public var conflictSimilarity: Double?
    /// Cosine similarity at or above which a fact repeats a rejected claim (0…1).
    public var rejectedSimilarity: Double?

    public init(conflictPolicy: ConflictPolicy? = nil, reinforceSimilarity: Double? = nil, conflictSimilarity: Double? = nil,
                rejectedSimilarity: Double? = nil) {
        self.conflictPolicy = conflictPolicy
        self.reinforceSimilarity = reinforceSimilarity
        self.conflictSimilarity = conflictSimilarity
        self.rejectedSimilarity = rejectedSimilarity
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case conflictPolicy = "conflict_policy"
        case reinforceSimilarity = "reinforce_similarity"
        case conflictSimilarity = "conflict_similarity"
        case rejectedSimilarity = "rejected_similarity"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        conflictPolicy = try c.decodeIfPresent(ConflictPolicy.self, forKey: .conflictPolicy)
        reinforceSimilarity = try c.decodeIfPresent(Double.self, forKey: .reinforceSimilarity)
        conflictSimilarity = try c.decodeIfPresent(Double.self, forKey: .conflictSimilarity)
        rejectedSimilarity = try c.decodeIfPresent(Double.self, forKey: .rejectedSimilarity)
    }

    /// Whether every member is absent.
    public var isEmpty: Bool {
        conflictPolicy == nil && reinforceSimilarity == nil && conflictSimilarity == nil && rejectedSimilarity == nil
    }

    /// Why these settings are unusable, or `nil`.
    public var problem: String? {
        for (name, value) in [("reinforce_similarity", reinforceSimilarity), ("conflict_similarity", conflictSimilarity),
                              ("rejected_similarity", rejectedSimilarity)] {
            if let value, !(value.isFinite && (0...1).contains(value)) { return "learning \(name) must be in 0…1, got \(value)" }
        }
        if let low = conflictSimilarity, let high = reinforceSimilarity, low > high {
            return "learning conflict_similarity must not exceed reinforce_similarity"
        }
        return nil
    }
}
