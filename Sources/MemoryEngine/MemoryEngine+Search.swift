#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HNSW
import MemoryStore
import Lexical
import VectorMath
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Recall: vector, lexical and hybrid search with filters and optional ranking.
extension MemoryEngine {
    /// Searches `namespace` by `text` or `vector`, best first.
    ///
    /// A text search runs in `request.mode`, or the namespace's default mode:
    /// - `vector`: the text is embedded and its nearest neighbours returned.
    /// - `lexical`: BM25 over the namespace's lexical index; no embedding.
    /// - `hybrid`: both; each ranking contributes its best `candidates` (at least `k`), every
    ///   candidate's missing score is computed exactly (the vector distance from the stored
    ///   vector, the BM25 score from the index), and the two are fused (``FusionMethod``).
    /// A vector search is always `vector`.
    ///
    /// Filters run *inside* the HNSW traversal as a predicate over entry ids that looks the
    /// needed fields up in the namespace's in-memory facts table (one hash lookup per visited
    /// node, no disk read), so a selective filter still returns the `k` best admitted entries;
    /// the lexical ranking applies the same predicate to its matches. Expired entries are never
    /// returned. Every hit is then checked against the entry read from the store, so a stale
    /// fact can never let a wrong entry through.
    ///
    /// With `rank`, `k × rankingCandidateFactor` candidates are fetched and re-ordered by
    /// `relevance·wₛ + confidence·w꜀ + recency·wᵣ` (see ``RankWeights``), where relevance is
    /// the similarity (vector) or the mode's score divided by the best candidate's (lexical,
    /// hybrid), so that it lies in 0…1 like the other terms.
    ///
    /// Returned entries count as used: `use_count` + 1 and `last_used_at` = now, visible at
    /// once and written to disk by ``flushUsage()`` (no durable write on the read path).
    ///
    /// - Throws: `invalid_argument` (neither or both of text and vector, a lexical or hybrid
    ///   mode for a vector query, k/ef out of range, bad filter, weights or fusion),
    ///   `namespace_not_found`, `dimension_mismatch`, `embedding_failed`.
    /// - Complexity: one embedding (vector and hybrid text queries) + one HNSW search
    ///   (≈ O(ef·log n) distances) + the lexical scoring (O(Σ df of the query's terms)) + one
    ///   LMDB read per candidate.
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
        if let context = request.context, !(0...Self.maxContext).contains(context) {
            throw .invalidArgument("context must be in 0…\(Self.maxContext), got \(context)")
        }
        let config = try existingNamespace(namespace)
        let fusion = config.search.overridden(by: request.fusion)
        if let problem = fusion.problem { throw .invalidArgument(problem) }
        let plan = SearchPlan(k: k, ef: ef, filter: request.filter, rank: weights, fusion: fusion)
        let hits = Self.authorityOrdered(try search(config: config, request: request, plan: plan))
        guard let context = request.context, context > 0 else { return hits }
        return try withContext(hits, count: context, config: config, filter: request.filter)
    }

    /// `hits` with every learned fact that may contradict an authoritative hit (pinned, or a
    /// person's: ``MemoryEntry/isAuthoritative``) moved to just after the last such hit: in a
    /// conflict a person's word comes first, whatever the scores. Otherwise the order is kept.
    /// O(k²) at worst, for k hits.
    static func authorityOrdered(_ hits: [SearchHit]) -> [SearchHit] {
        guard hits.contains(where: { !$0.entry.conflictsWith.isEmpty }) else { return hits }
        let authoritative = Dictionary(hits.enumerated().filter { $0.element.entry.isAuthoritative }
            .map { ($0.element.entry.id, $0.offset) }, uniquingKeysWith: { first, _ in first })
        var result: [SearchHit] = []
        var deferred: [(hit: SearchHit, after: Int)] = []
        for (offset, hit) in hits.enumerated() {
            let last = hit.entry.isAuthoritative ? nil : hit.entry.conflictsWith.compactMap { authoritative[$0] }.max()
            if let last, last > offset {
                deferred.append((hit, last))
            } else {
                result.append(hit)
            }
            result.append(contentsOf: deferred.filter { $0.after == offset }.map(\.hit))
            deferred.removeAll { $0.after == offset }
        }
        return result
    }

    /// The most neighbours a search may ask for on each side of a hit.
    public static let maxContext = 20

    /// Each hit with up to `count` admitted neighbours on each side in its thread. One LMDB
    /// read of all the neighbours together; O(hits·(log thread + count)) in the facts table.
    func withContext(_ hits: [SearchHit], count: Int, config: NamespaceConfig,
                     filter: SearchFilter?) throws(EngineError) -> [SearchHit] {
        let table = try facts(config.name)
        let compiled = CompiledFilter(filter, now: clock())
        let neighbours = hits.map { table.neighbours(of: $0.entry.id, count: count, admits: compiled.admits) }
        let ids = Array(Set(neighbours.flatMap { $0.before + $0.after }))
        let found = try translatingErrors { try store.get(namespace: config.name, ids: ids) }
        var entries: [UInt64: MemoryEntry] = [:]
        for entry in found.compactMap({ $0 }) where compiled.admits(EntryFacts(entry)) { entries[entry.id] = usage.overlay(entry) }
        var result = hits
        for index in result.indices {
            result[index].context = HitContext(before: neighbours[index].before.compactMap { entries[$0] },
                                               after: neighbours[index].after.compactMap { entries[$0] })
        }
        return result
    }

    /// The hits of `request` in its mode, without context.
    func search(config: NamespaceConfig, request: SearchRequest, plan: SearchPlan) throws(EngineError) -> [SearchHit] {
        switch (request.text, request.vector) {
        case (let text?, nil):
            try InputValidation.text(text)
            switch request.mode ?? config.search.mode {
            case .vector:
                return try search(config: config, query: try vector(for: text, given: nil, config: config), plan: plan)
            case .lexical:
                return try lexicalSearch(config: config, text: text, plan: plan)
            case .hybrid:
                return try hybridSearch(config: config, text: text, query: try vector(for: text, given: nil, config: config),
                                        plan: plan)
            }
        case (nil, let vector?):
            if let mode = request.mode, mode != .vector {
                throw .invalidArgument("mode \(mode.rawValue) needs a text query: a vector query searches by vector only")
            }
            // The one check of the query vector: the store and the index take it as checked.
            return try search(config: config, query: try InputValidation.vector(vector, for: config), plan: plan)
        default:
            throw .invalidArgument("a search takes exactly one of text and vector")
        }
    }

    /// A search's validated options.
    struct SearchPlan {
        var k: Int
        var ef: Int?
        var filter: SearchFilter?
        var rank: RankWeights?
        var fusion: SearchDefaults
    }

    /// How many candidates a ranking fetches: `k`, or with ranking `k × rankingCandidateFactor`.
    func fetchCount(_ plan: SearchPlan) -> Int {
        plan.rank == nil ? plan.k : min(configuration.maxK, plan.k * configuration.rankingCandidateFactor)
    }

    /// The namespace's filter as a predicate over entry ids, or `nil` when every entry passes
    /// (no filter, no entry that can expire, and no pending entry to leave out).
    func admission(_ table: FactsTable, _ compiled: CompiledFilter, _ filter: SearchFilter?) -> ((UInt64) -> Bool)? {
        guard !(filter?.isEmpty ?? true) || table.hasExpiringEntries || table.hasPendingEntries else { return nil }
        return { id in table.unsafeFacts(id).map(compiled.admits) ?? false }
    }

    /// Vector search.
    func search(config: NamespaceConfig, query: QueryVector, plan: SearchPlan) throws(EngineError) -> [SearchHit] {
        let now = clock()
        let table = try facts(config.name)
        let compiled = CompiledFilter(plan.filter, now: now)
        let raw = try vectorCandidates(query, k: fetchCount(plan), ef: plan.ef, table: table, compiled: compiled,
                                       filter: plan.filter)
        var hits: [SearchHit] = []
        hits.reserveCapacity(raw.count)
        let entries = try translatingErrors { try store.get(namespace: config.name, ids: raw.map(\.key)) }
        for (candidate, found) in zip(raw, entries) {
            guard let entry = found, compiled.admits(EntryFacts(entry)) else { continue }
            let similarity = Self.similarity(distance: candidate.distance, metric: config.metric)
            hits.append(SearchHit(entry: entry, distance: candidate.distance, similarity: similarity, score: similarity,
                                  components: ScoreComponents(vector: similarity)))
        }
        return finish(hits, config: config, plan: plan, now: now)
    }

    /// Lexical search: the best BM25 matches among the admitted entries.
    func lexicalSearch(config: NamespaceConfig, text: String, plan: SearchPlan) throws(EngineError) -> [SearchHit] {
        let now = clock()
        let table = try facts(config.name)
        let compiled = CompiledFilter(plan.filter, now: now)
        let ranked = try lexicalCandidates(config: config, text: text, limit: fetchCount(plan), table: table, compiled: compiled,
                                       filter: plan.filter).ranked
        let entries = try translatingErrors { try store.get(namespace: config.name, ids: ranked.map(\.key)) }
        var hits: [SearchHit] = []
        for (candidate, found) in zip(ranked, entries) {
            guard let entry = found, compiled.admits(EntryFacts(entry)) else { continue }
            hits.append(SearchHit(entry: entry, distance: nil, similarity: nil, score: candidate.score,
                                  components: ScoreComponents(lexical: candidate.score)))
        }
        return finish(hits, config: config, plan: plan, now: now)
    }

    /// The `k` nearest admitted entries to `query` (the filter runs inside the traversal, under
    /// the facts table's shared lock, only when something can be refused).
    func vectorCandidates(_ query: QueryVector, k: Int, ef: Int?, table: FactsTable, compiled: CompiledFilter,
                          filter: SearchFilter?) throws(EngineError) -> [HNSW.SearchResult] {
        try translatingErrors {
            if let admits = admission(table, compiled, filter) {
                return try table.withSharedAccess { try store.search(query, k: k, ef: ef, filter: admits) }
            }
            return try store.search(query, k: k, ef: ef)
        }
    }

    /// The lexical scores of `text` and the best `limit` admitted matches.
    func lexicalCandidates(config: NamespaceConfig, text: String, limit: Int, table: FactsTable,
                           compiled: CompiledFilter, filter: SearchFilter?) throws(EngineError) -> (scores: LexicalScores, ranked: [(key: UInt64, score: Double)]) {
        let scores = try translatingErrors { try store.lexicalScores(namespace: config.name, text: text) }
        guard let admits = admission(table, compiled, filter) else {
            return (scores, scores.ranked(limit: limit) { _ in true })
        }
        return (scores, table.withSharedAccess { scores.ranked(limit: limit, admitting: admits) })
    }

    /// Hybrid search: the union of both rankings' candidates, each scored both ways, fused.
    func hybridSearch(config: NamespaceConfig, text: String, query: QueryVector, plan: SearchPlan) throws(EngineError) -> [SearchHit] {
        let now = clock()
        let table = try facts(config.name)
        let compiled = CompiledFilter(plan.filter, now: now)
        let depth = min(configuration.maxK, max(plan.fusion.candidates, fetchCount(plan)))
        let vectorRanked = try vectorCandidates(query, k: depth, ef: plan.ef.map { max($0, depth) }, table: table,
                                                compiled: compiled, filter: plan.filter)
        let lexical = try lexicalCandidates(config: config, text: text, limit: depth, table: table, compiled: compiled,
                                            filter: plan.filter)

        // The union, in a fixed order: vector candidates, then lexical-only ones.
        var vectorRank: [UInt64: Int] = [:]
        var lexicalRank: [UInt64: Int] = [:]
        var distance: [UInt64: Float] = [:]
        var ids: [UInt64] = []
        for (rank, result) in vectorRanked.enumerated() {
            vectorRank[result.key] = rank + 1
            distance[result.key] = result.distance
            ids.append(result.key)
        }
        for (rank, match) in lexical.ranked.enumerated() {
            lexicalRank[match.key] = rank + 1
            if vectorRank[match.key] == nil { ids.append(match.key) }
        }
        let found = try translatingErrors { try store.get(namespace: config.name, ids: ids) }
        var entries: [MemoryEntry] = []
        for entry in found.compactMap({ $0 }) where compiled.admits(EntryFacts(entry)) { entries.append(entry) }
        let missing = entries.filter { distance[$0.id] == nil }
        let computed = try translatingErrors { try store.distances(query, to: missing) }
        for (entry, value) in zip(missing, computed) { distance[entry.id] = value }

        var candidates: [FusionCandidate] = []
        for entry in entries {
            guard let d = distance[entry.id] else { continue }  // left the index meanwhile
            candidates.append(FusionCandidate(entry: entry, distance: d, similarity: Self.similarity(distance: d, metric: config.metric),
                                              lexical: lexical.scores.scores[entry.id] ?? 0,
                                              vectorRank: vectorRank[entry.id], lexicalRank: lexicalRank[entry.id]))
        }
        let fused = Fusion.fuse(candidates, settings: plan.fusion)
        let hits = zip(candidates, fused).map { candidate, score in
            SearchHit(entry: candidate.entry, distance: candidate.distance, similarity: candidate.similarity, score: score,
                      components: ScoreComponents(vector: candidate.similarity, lexical: candidate.lexical, fused: score))
        }
        return finish(hits, config: config, plan: plan, now: now)
    }

    /// Orders `hits` (by score, or by the ranking formula), keeps the best `k` and records
    /// their use.
    func finish(_ hits: [SearchHit], config: NamespaceConfig, plan: SearchPlan, now: Date) -> [SearchHit] {
        var hits = hits
        if let weights = plan.rank {
            // Relevance in 0…1: the similarity (vector hits), else the score over the best one.
            let best = hits.map(\.score).max() ?? 1
            for index in hits.indices {
                let relevance = hits[index].components?.fused == nil && hits[index].components?.lexical == nil
                    ? hits[index].score : (best > 0 ? hits[index].score / best : 0)
                hits[index].score = Self.rankScore(similarity: relevance, entry: hits[index].entry, now: now, weights: weights)
            }
        }
        hits.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if let x = a.distance, let y = b.distance, x != y { return x < y }
            return a.entry.id < b.entry.id
        }
        if hits.count > plan.k { hits.removeLast(hits.count - plan.k) }
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

    /// `similarity·wₛ + confidence·w꜀ + 2^(−age/halfLife)·wᵣ`, age from `occurred_at`, when
    /// the fact happened or was said (a future one counts as age 0): correcting an old fact
    /// does not make it recent.
    static func rankScore(similarity: Double, entry: MemoryEntry, now: Date, weights: RankWeights) -> Double {
        let age = max(0, now.timeIntervalSince(entry.occurredAt))
        let recency = exp2(-age / weights.recencyHalfLife)
        return similarity * weights.similarity + entry.confidence * weights.confidence + recency * weights.recency
    }
}
