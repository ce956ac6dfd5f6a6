#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The engine's tunables. Every field has a default that suits the 384-d MiniLM embedder;
/// the daemon fills this from its configuration file.
public struct EngineConfiguration: Sendable, Equatable, Codable {
    /// `learn` reinforces an existing entry when its cosine similarity to the new text is at
    /// least this (0…1). 0.9 on MiniLM catches paraphrases of one fact without merging
    /// different facts about one subject.
    public var learnSimilarityThreshold: Double = 0.9
    /// How many nearest neighbours `learn` examines for a near-duplicate or a conflict.
    public var learnCandidates: Int = 8
    /// The lower end of the conflict band: a learned fact at least this similar to a live
    /// entry whose values differ from it (``ConflictSignals``) is a candidate conflict. The
    /// band reaches above `learnSimilarityThreshold`: a changed number keeps the similarity
    /// of a paraphrase. Per namespace: `learning.conflict_similarity`.
    public var conflictSimilarityThreshold: Double = 0.55
    /// What `learn` does with a candidate conflict. Per namespace: `learning.conflict_policy`.
    public var conflictPolicy: ConflictPolicy = .pending
    /// `learn` refuses a fact at least this similar to a rejected claim (and at least as
    /// similar to it as to any live entry). Per namespace: `learning.rejected_similarity`.
    public var rejectedSimilarityThreshold: Double = 0.9
    /// Actors (as a request names them, before the peer: `curator` in `curator (uid:1000)`)
    /// that write on behalf of automatic learning: their edits, forgets and contradictions
    /// do not make rejected claims. Empty by default: the learning loop writes only through
    /// `learn`.
    public var learningActors: [String] = []
    /// `k` of a search that does not pass one.
    public var defaultK: Int = 10
    /// Largest `k` a search accepts (at most `HNSWIndex.maxK`).
    public var maxK: Int = 1000
    /// `ef` of a search that does not pass one; `nil`: the namespace's `efSearch`.
    public var defaultEf: Int? = nil
    /// Largest `ef` a search accepts.
    public var maxEf: Int = 10_000
    /// Largest page of `list`, `history` and `audit`.
    public var maxPageSize: Int = 1000
    /// Whether a write to an unknown namespace creates it (embedder dimension, cosine).
    public var autoCreateNamespaces: Bool = true
    /// Confidence of an entry created without one.
    public var defaultConfidence: Double = 0.5
    /// Ranking weights a search's `rank` leaves out.
    public var ranking: RankWeights = RankWeights()
    /// With ranking on, the search fetches `k × rankingCandidateFactor` nearest entries and
    /// re-orders them (ranking can only promote entries that are reasonably similar).
    public var rankingCandidateFactor: Int = 4
    /// The constants of the confidence formula (see ``ConfidenceModel``).
    public var confidence: ConfidenceModel = ConfidenceModel()
    /// How often the daemon should call ``MemoryEngine/purgeExpired(limit:)`` (seconds).
    public var expiryPurgeInterval: Double = 60
    /// How often the daemon should call ``MemoryEngine/flushUsage()`` (seconds). Use counts
    /// and `last_used_at` reach the disk at this pace (they are visible at once in memory).
    public var usageFlushInterval: Double = 5
    /// Threads that embed the texts of batch writes (bulk loads), for the whole engine: the
    /// batches in flight share them. 0: one per core. Searches and single writes keep their
    /// own threads (see `batchEmbeddingIdle`).
    public var batchEmbeddingThreads: Int = 0
    /// Whether the batch embedding threads run in Linux's idle scheduling class: only on a
    /// core no other thread wants, preempted at once by a search that wakes
    /// (docs/performance.md#bulk-ingestion). `false`: at nice `batchEmbeddingNiceness`.
    public var batchEmbeddingIdle: Bool = true
    /// The nice value (0…19) of the batch embedding threads when not in the idle class: above
    /// 0, searches and single writes that share a core with them are scheduled first.
    public var batchEmbeddingNiceness: Int = 10

    public init() {}

    /// Decodes a configuration file's section: every key is optional and defaults as above.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = EngineConfiguration()
        learnSimilarityThreshold = try c.decodeIfPresent(Double.self, forKey: .learnSimilarityThreshold) ?? d.learnSimilarityThreshold
        learnCandidates = try c.decodeIfPresent(Int.self, forKey: .learnCandidates) ?? d.learnCandidates
        conflictSimilarityThreshold = try c.decodeIfPresent(Double.self, forKey: .conflictSimilarityThreshold)
            ?? d.conflictSimilarityThreshold
        conflictPolicy = try c.decodeIfPresent(ConflictPolicy.self, forKey: .conflictPolicy) ?? d.conflictPolicy
        rejectedSimilarityThreshold = try c.decodeIfPresent(Double.self, forKey: .rejectedSimilarityThreshold)
            ?? d.rejectedSimilarityThreshold
        learningActors = try c.decodeIfPresent([String].self, forKey: .learningActors) ?? d.learningActors
        defaultK = try c.decodeIfPresent(Int.self, forKey: .defaultK) ?? d.defaultK
        maxK = try c.decodeIfPresent(Int.self, forKey: .maxK) ?? d.maxK
        defaultEf = try c.decodeIfPresent(Int.self, forKey: .defaultEf) ?? d.defaultEf
        maxEf = try c.decodeIfPresent(Int.self, forKey: .maxEf) ?? d.maxEf
        maxPageSize = try c.decodeIfPresent(Int.self, forKey: .maxPageSize) ?? d.maxPageSize
        autoCreateNamespaces = try c.decodeIfPresent(Bool.self, forKey: .autoCreateNamespaces) ?? d.autoCreateNamespaces
        defaultConfidence = try c.decodeIfPresent(Double.self, forKey: .defaultConfidence) ?? d.defaultConfidence
        ranking = try c.decodeIfPresent(RankWeights.self, forKey: .ranking) ?? d.ranking
        rankingCandidateFactor = try c.decodeIfPresent(Int.self, forKey: .rankingCandidateFactor) ?? d.rankingCandidateFactor
        confidence = try c.decodeIfPresent(ConfidenceModel.self, forKey: .confidence) ?? d.confidence
        expiryPurgeInterval = try c.decodeIfPresent(Double.self, forKey: .expiryPurgeInterval) ?? d.expiryPurgeInterval
        usageFlushInterval = try c.decodeIfPresent(Double.self, forKey: .usageFlushInterval) ?? d.usageFlushInterval
        batchEmbeddingThreads = try c.decodeIfPresent(Int.self, forKey: .batchEmbeddingThreads) ?? d.batchEmbeddingThreads
        batchEmbeddingIdle = try c.decodeIfPresent(Bool.self, forKey: .batchEmbeddingIdle) ?? d.batchEmbeddingIdle
        batchEmbeddingNiceness = try c.decodeIfPresent(Int.self, forKey: .batchEmbeddingNiceness) ?? d.batchEmbeddingNiceness
    }

    enum CodingKeys: String, CodingKey {
        case learnSimilarityThreshold = "learn_similarity_threshold"
        case learnCandidates = "learn_candidates"
        case conflictSimilarityThreshold = "conflict_similarity_threshold"
        case conflictPolicy = "conflict_policy"
        case rejectedSimilarityThreshold = "rejected_similarity_threshold"
        case learningActors = "learning_actors"
        case defaultK = "default_k"
        case maxK = "max_k"
        case defaultEf = "default_ef"
        case maxEf = "max_ef"
        case maxPageSize = "max_page_size"
        case autoCreateNamespaces = "auto_create_namespaces"
        case defaultConfidence = "default_confidence"
        case ranking
        case rankingCandidateFactor = "ranking_candidate_factor"
        case confidence
        case expiryPurgeInterval = "expiry_purge_interval"
        case usageFlushInterval = "usage_flush_interval"
        case batchEmbeddingThreads = "batch_embedding_threads"
        case batchEmbeddingIdle = "batch_embedding_idle"
        case batchEmbeddingNiceness = "batch_embedding_niceness"
    }

    /// Checks the ranges the engine relies on.
    /// - Throws: ``EngineError/invalidArgument(_:)`` naming the field.
    public func validate() throws(EngineError) {
        func check(_ ok: Bool, _ message: String) throws(EngineError) {
            if !ok { throw .invalidArgument("configuration: \(message)") }
        }
        try check(learnSimilarityThreshold.isFinite && (0...1).contains(learnSimilarityThreshold),
                  "learn_similarity_threshold must be in 0…1")
        try check((1...100).contains(learnCandidates), "learn_candidates must be in 1…100")
        try check(conflictSimilarityThreshold.isFinite && (0...1).contains(conflictSimilarityThreshold),
                  "conflict_similarity_threshold must be in 0…1")
        try check(rejectedSimilarityThreshold.isFinite && (0...1).contains(rejectedSimilarityThreshold),
                  "rejected_similarity_threshold must be in 0…1")
        try check(conflictSimilarityThreshold <= learnSimilarityThreshold,
                  "conflict_similarity_threshold must not exceed learn_similarity_threshold")
        try check(learningActors.count <= 1000 && learningActors.allSatisfy { !$0.isEmpty && $0.utf8.count <= 128 },
                  "learning_actors takes at most 1000 names of 1…128 bytes")
        try check((1...10_000).contains(maxK), "max_k must be in 1…10000")
        try check((1...maxK).contains(defaultK), "default_k must be in 1…max_k")
        try check((1...100_000).contains(maxEf), "max_ef must be in 1…100000")
        if let defaultEf { try check((1...maxEf).contains(defaultEf), "default_ef must be in 1…max_ef") }
        try check((1...100_000).contains(maxPageSize), "max_page_size must be in 1…100000")
        try check(defaultConfidence.isFinite && (0...1).contains(defaultConfidence), "default_confidence must be in 0…1")
        try check((1...100).contains(rankingCandidateFactor), "ranking_candidate_factor must be in 1…100")
        try check(expiryPurgeInterval.isFinite && expiryPurgeInterval > 0, "expiry_purge_interval must be positive")
        try check(usageFlushInterval.isFinite && usageFlushInterval > 0, "usage_flush_interval must be positive")
        try check((0...256).contains(batchEmbeddingThreads), "batch_embedding_threads must be in 0…256")
        try check((0...19).contains(batchEmbeddingNiceness), "batch_embedding_niceness must be in 0…19")
        do {
            try ranking.validate()
            try confidence.validate()
        } catch {
            throw .invalidArgument("configuration: \(error.message)")
        }
    }
}
