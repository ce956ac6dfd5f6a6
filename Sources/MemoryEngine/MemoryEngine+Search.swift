#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemoryStore
import VectorMath
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Recall: nearest-neighbour search with filters and optional ranking.
extension MemoryEngine {
    /// Searches `namespace` by `text` (embedded) or `vector`, closest (or best-ranked) first.
    ///
    /// Filters run *inside* the HNSW traversal as a predicate over entry ids that looks the
    /// needed fields up in the namespace's in-memory facts table (one hash lookup per visited
    /// node, no disk read), so a selective filter still returns the `k` best admitted entries
    /// (the index falls back to an exact scan of admitted entries when that is cheaper).
    /// Expired entries are never returned. Every hit is then checked against the entry read
    /// from the store, so a stale fact can never let a wrong entry through.
    ///
    /// With `rank`, `k × rankingCandidateFactor` candidates are fetched and re-ordered by
    /// `similarity·wₛ + confidence·w꜀ + recency·wᵣ` (see ``RankWeights``).
    ///
    /// Returned entries count as used: `use_count` + 1 and `last_used_at` = now, visible at
    /// once and written to disk by ``flushUsage()`` (no durable write on the read path).
    ///
    /// - Throws: `invalid_argument` (neither or both of text and vector, k/ef out of range, bad
    ///   filter or weights), `namespace_not_found`, `dimension_mismatch`, `embedding_failed`.
    /// - Complexity: one embedding (text queries) + one HNSW search (≈ O(ef·log n) distances)
    ///   + one LMDB read per candidate.
    public func search(namespace: String, _ request: SearchRequest) throws(EngineError) -> [SearchHit] {
        let k = request.k ?? configuration.defaultK
        guard (1...configuration.maxK).contains(k) else {
            throw .invalidArgument("k must be in 1…\(configuration.maxK), got \(k)")
        }
        let ef = request.ef ?? configuration.defaultEf
        if let ef, !(1...configuration.maxEf).contains(ef) {
            throw .invalidArgument("ef must be in 1…\(configuration.maxEf), got \(ef)")
        }
        if let filter = request.filter { try InputValidation.filter(filter) }
        let weights = request.rank.map { $0.resolved(with: configuration.ranking) }
        if let weights { try weights.validate() }
        let config = try existingNamespace(namespace)
        // The one check of the query vector: the store and the index take it as checked.
        let query: QueryVector
        switch (request.text, request.vector) {
        case (let text?, nil):
            try InputValidation.text(text)
            query = try vector(for: text, given: nil, config: config)
        case (nil, let vector?):
            query = try InputValidation.vector(vector, for: config)
        default:
            throw .invalidArgument("a search takes exactly one of text and vector")
        }
        return try search(config: config, query: query, k: k, ef: ef, filter: request.filter, rank: weights)
    }

    func search(config: NamespaceConfig, query: QueryVector, k: Int, ef: Int?, filter: SearchFilter?,
                rank: RankWeights?) throws(EngineError) -> [SearchHit] {
        let now = clock()
        let table = try facts(config.name)
        let compiled = CompiledFilter(filter, now: now)
        let fetch = rank == nil ? k : min(configuration.maxK, k * configuration.rankingCandidateFactor)
        let needsPredicate = !(filter?.isEmpty ?? true) || table.hasExpiringEntries
        let raw = try translatingErrors {
            if needsPredicate {
                return try table.withSharedAccess {
                    try store.search(query, k: fetch, ef: ef,
                                     filter: { id in table.unsafeFacts(id).map(compiled.admits) ?? false })
                }
            }
            return try store.search(query, k: fetch, ef: ef)
        }
        var hits: [SearchHit] = []
        hits.reserveCapacity(raw.count)
        let entries = try translatingErrors { try store.get(namespace: config.name, ids: raw.map(\.key)) }
        for (candidate, found) in zip(raw, entries) {
            guard let entry = found, compiled.admits(EntryFacts(entry)) else { continue }
            let similarity = Self.similarity(distance: candidate.distance, metric: config.metric)
            let score = rank.map { Self.rankScore(similarity: similarity, entry: entry, now: now, weights: $0) } ?? similarity
            hits.append(SearchHit(entry: entry, distance: candidate.distance, similarity: similarity, score: score))
        }
        if rank != nil {
            hits.sort { $0.score != $1.score ? $0.score > $1.score : $0.distance < $1.distance }
        }
        if hits.count > k { hits.removeLast(hits.count - k) }
        usage.record(namespace: config.name, ids: hits.map(\.entry.id), at: now)
        for index in hits.indices { hits[index].entry = usage.overlay(hits[index].entry) }
        return hits
    }

    /// Larger is closer: cosine similarity, or `1 / (1 + d)` for squared Euclidean `d`.
    static func similarity(distance: Float, metric: Metric) -> Double {
        switch metric {
        case .cosine: Double(1 - distance)
        case .l2: 1 / (1 + Double(max(0, distance)))
        }
    }

    /// `similarity·wₛ + confidence·w꜀ + 2^(−age/halfLife)·wᵣ`, age from `updated_at`
    /// (a future `updated_at` counts as age 0).
    static func rankScore(similarity: Double, entry: MemoryEntry, now: Date, weights: RankWeights) -> Double {
        let age = max(0, now.timeIntervalSince(entry.updatedAt))
        let recency = exp2(-age / weights.recencyHalfLife)
        return similarity * weights.similarity + entry.confidence * weights.confidence + recency * weights.recency
    }
}
