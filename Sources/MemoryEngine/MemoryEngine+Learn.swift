#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemoryStore
import VectorMath

/// Learning: remember, reinforce what is already known, refuse what a person rejected, and
/// hold back what may contradict the live knowledge.
extension MemoryEngine {
    /// A namespace's learning settings with the engine's defaults filled in.
    struct ResolvedLearning {
        var reinforce: Double
        var conflict: Double
        var rejected: Double
        var policy: ConflictPolicy
    }

    func learning(_ config: NamespaceConfig) -> ResolvedLearning {
        let policy = config.learning
        return ResolvedLearning(reinforce: policy.reinforceSimilarity ?? configuration.learnSimilarityThreshold,
                                conflict: policy.conflictSimilarity ?? configuration.conflictSimilarityThreshold,
                                rejected: policy.rejectedSimilarity ?? configuration.rejectedSimilarityThreshold,
                                policy: policy.conflictPolicy ?? configuration.conflictPolicy)
    }

    /// Learns `request`, in this order:
    ///
    /// 1. **Rejected.** When the fact is at least `rejected_similarity` similar to a claim a
    ///    person rejected (a corrected text, a forgotten or contradicted entry, a fact
    ///    rejected in review), and at least as similar to it as to any live entry, nothing is
    ///    stored: the outcome is `rejected`, naming the claim and the entry holding the
    ///    correction, with a `refused` audit event. It counts as evidence nowhere.
    /// 2. **Reinforce.** A live entry at least `reinforce_similarity` similar whose values do
    ///    not differ from the fact's is reinforced (audit `reinforced`, version + 1):
    ///    `evidence.support` + 1, confidence moved by the ``ConfidenceModel``, `updated_at` =
    ///    now, the request's tags added, an expiry pushed out to the request's when both have
    ///    one. **Pinned entries are never changed by learn**: the outcome is `matched_pinned`
    ///    and nothing is written. A pending entry is reinforced like any other (it stays
    ///    pending), so a wrong fact heard again gathers support under review, not copies.
    /// 3. **Conflict.** Live entries in the conflict band (similarity ≥ `conflict_similarity`)
    ///    whose values differ from the fact's (``ConflictSignals``: numbers, dates, names,
    ///    negation) are what it may contradict. The namespace's `conflict_policy` decides:
    ///    `pending` stores it held back for review, `link` stores it live with
    ///    `conflicts_with`, `store` ignores the conflict. The band includes similarities
    ///    above the reinforce threshold: "14 days" and "30 days" are near-duplicates to an
    ///    embedding, so a near-duplicate whose values differ is not reinforced.
    /// 4. Otherwise a new entry is created, marked `learned`.
    ///
    /// Everything runs under the writer lock, so two concurrent learns of one fact create one
    /// entry and reinforce it once.
    /// - Complexity: one embedding, one search of `learnCandidates`, one pass over the
    ///   namespace's rejected claims (O(claims · dimension)), one commit.
    public func learn(_ request: RememberRequest, namespace: String, actor: String = "engine",
                      reason: String? = nil) throws(EngineError) -> LearnOutcome {
        let prepared = try prepare(request, namespace: namespace)
        let context = context(actor: actor, reason: reason)
        return try exclusive {
            try learnLocked(prepared, context: context)
        }
    }

    /// ``learn(_:namespace:actor:reason:)`` of a prepared fact (its vector computed).
    /// Precondition: writer lock held.
    func learnLocked(_ prepared: PreparedMemory, context: AuditContext) throws -> LearnOutcome {
        let namespace = prepared.config.name
        let model = configuration.confidence
        let settings = learning(prepared.config)
        let exists = store.namespaceConfig(namespace) != nil
        let candidates = exists ? try nearestEntries(prepared, table: try facts(namespace), now: context.time) : []
        let best = candidates.first
        // The claim's similarity and the entries' come from different computations (exact
        // cosine against the index's distance), so "as similar" allows their rounding: a
        // contradicted entry's own text is refused, not reinforced.
        if exists, let claim = try nearestClaim(prepared), claim.similarity >= settings.rejected,
           claim.similarity + Self.similarityTolerance >= best?.similarity ?? -1 {
            guard case .sequence(let sequence) = try write(.recordRefusal(namespace: namespace, owner: claim.claim.entryID,
                                                                          text: prepared.draft.text, context: context)) else {
                throw EngineError.internalError("recording a refusal returned another outcome")
            }
            let holder = try store.get(namespace: namespace, id: claim.claim.entryID)
                .flatMap { Self.isExpired($0, at: context.time) ? nil : usage.overlay($0) }
            return LearnOutcome(action: .rejected, entry: holder, sequence: sequence, similarity: claim.similarity,
                                rejectedBy: claim.claim)
        }

        let signals = ConflictSignals(prepared.draft.text)
        let differing = candidates.map { ConflictSignals($0.entry.text).differs(from: signals) }
        // A near-duplicate whose values differ is never reinforced, whatever the band says.
        if let best, best.similarity >= settings.reinforce, !differing[0] {
            return try reinforce(best, with: prepared.draft, model: model, context: context)
        }
        let contradicted = zip(candidates, differing).filter {
            $1 && !$0.entry.pending && $0.similarity >= min(settings.conflict, settings.reinforce)
        }.map(\.0)

        var learned = prepared
        learned.draft.learned = true
        var action = LearnAction.created
        if !contradicted.isEmpty && settings.policy != .store {
            learned.draft.conflictsWith = contradicted.prefix(MemoryStore.maxConflictLinks).map(\.entry.id)
            learned.draft.pending = settings.policy == .pending
            action = settings.policy == .pending ? .pending : .conflicting
        }
        let outcome = try insert(learned, context: context)
        return LearnOutcome(action: action, entry: outcome.entry, sequence: outcome.sequence, similarity: best?.similarity,
                            namespaceCreated: outcome.namespaceCreated)
    }

    /// Reinforces `match` with what the learned `draft` adds (or leaves a pinned one alone).
    /// Precondition: writer lock held.
    private func reinforce(_ match: (entry: MemoryEntry, similarity: Double), with draft: MemoryDraft, model: ConfidenceModel,
                           context: AuditContext) throws -> LearnOutcome {
        if match.entry.pinned {
            return LearnOutcome(action: .matchedPinned, entry: usage.overlay(match.entry), sequence: nil,
                                similarity: match.similarity)
        }
        let result = try updateEntry(namespace: match.entry.namespace, id: match.entry.id, kind: .reinforced,
                                     context: context) { entry in
            model.observe(.support, confidence: &entry.confidence, evidence: &entry.evidence)
            for tag in draft.tags where !entry.tags.contains(tag) && entry.tags.count < InputValidation.maxTags {
                entry.tags.append(tag)
            }
            if let current = entry.expiresAt, let proposed = draft.expiresAt, proposed > current {
                entry.expiresAt = proposed
            }
        }
        return LearnOutcome(action: .reinforced, entry: usage.overlay(result.entry), sequence: result.sequence,
                            similarity: match.similarity)
    }

    /// The live, unexpired entries (pending ones included) nearest to the prepared vector,
    /// most similar first, by cosine similarity: under cosine `1 − distance`; under l2 the
    /// candidates are re-scored by exact cosine of their stored vectors.
    func nearestEntries(_ prepared: PreparedMemory, table: FactsTable,
                        now: Date) throws -> [(entry: MemoryEntry, similarity: Double)] {
        let config = prepared.config
        let filter = CompiledFilter(nil, now: now, status: .any)
        let hits = try table.withSharedAccess {
            try store.search(namespace: config.name, vector: prepared.vector, k: configuration.learnCandidates,
                             filter: { id in table.unsafeFacts(id).map(filter.admits) ?? false })
        }
        var found: [(entry: MemoryEntry, similarity: Double)] = []
        for hit in hits {
            guard let entry = try store.get(namespace: config.name, id: hit.key), !Self.isExpired(entry, at: now) else {
                continue
            }
            let similarity: Double
            if config.metric == .cosine {
                similarity = Double(1 - hit.distance)
            } else {
                guard let stored = try store.vector(namespace: config.name, id: hit.key) else { continue }
                similarity = Self.cosine(stored, prepared.vector)
            }
            found.append((entry, similarity))
        }
        return found.sorted { $0.similarity > $1.similarity }
    }

    /// How far apart two cosine similarities of one vector pair may come out of the two ways
    /// they are computed (the index's float distance, the store's exact cosine).
    static let similarityTolerance = 1e-5

    /// The rejected claim of the namespace most similar to the prepared vector (cosine), or
    /// `nil` when it holds none. O(claims · dimension).
    func nearestClaim(_ prepared: PreparedMemory) throws -> (claim: RejectedClaim, similarity: Double)? {
        try store.nearestRejectedClaim(namespace: prepared.config.name, to: prepared.vector)
    }

    /// Whether `actor` writes for automatic learning (``EngineConfiguration/learningActors``):
    /// the name itself, or the name a request gave before its peer (`name (uid:1000)`).
    func isLearningActor(_ actor: String) -> Bool {
        configuration.learningActors.contains { actor == $0 || actor.hasPrefix($0 + " (") }
    }
}
