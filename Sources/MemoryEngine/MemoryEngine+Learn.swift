#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemoryStore
import VectorMath

/// Learning: remember, or reinforce what is already known.
extension MemoryEngine {
    /// Learns `request`: if a live entry of the namespace is a near-duplicate (cosine
    /// similarity ≥ `learnSimilarityThreshold`), reinforces it instead of creating one.
    ///
    /// - Reinforcing (audit `reinforced`, version + 1): `evidence.support` + 1, confidence
    ///   moved by the ``ConfidenceModel`` formula, `updated_at` = now (the "last seen" time),
    ///   the request's tags added to the entry's, and an expiry pushed out to the request's
    ///   when both have one. Text, metadata and source stay: the entry is the canonical form.
    /// - **Pinned entries are never changed by learn.** When the best near-duplicate is
    ///   pinned, nothing is written and the outcome is `matchedPinned` with that entry: the
    ///   knowledge is already held, by an entry that automatic learning may not touch, and a
    ///   second, unpinned copy would only compete with it in searches.
    /// - Otherwise a new entry is created exactly as by ``remember(_:namespace:actor:reason:)``.
    ///
    /// The search and the write run under the writer lock, so two concurrent learns of the
    /// same fact create one entry and reinforce it once.
    /// - Complexity: one embedding, one search of `learnCandidates`, one commit.
    public func learn(_ request: RememberRequest, namespace: String, actor: String = "engine",
                      reason: String? = nil) throws(EngineError) -> LearnOutcome {
        let prepared = try prepare(request, namespace: namespace)
        let context = context(actor: actor, reason: reason)
        let threshold = configuration.learnSimilarityThreshold
        let model = configuration.confidence
        return try exclusive {
            let table: FactsTable? = store.namespaceConfig(namespace) != nil ? try facts(namespace) : nil
            if let table, let match = try nearestDuplicate(prepared, table: table, now: context.time),
               match.similarity >= threshold {
                if match.entry.pinned {
                    return LearnOutcome(action: .matchedPinned, entry: usage.overlay(match.entry), sequence: nil,
                                        similarity: match.similarity)
                }
                let draft = prepared.draft
                let result = try store.update(namespace: namespace, id: match.entry.id, kind: .reinforced, context: context) { entry in
                    model.observe(.support, confidence: &entry.confidence, evidence: &entry.evidence)
                    for tag in draft.tags where !entry.tags.contains(tag) && entry.tags.count < InputValidation.maxTags {
                        entry.tags.append(tag)
                    }
                    if let current = entry.expiresAt, let proposed = draft.expiresAt, proposed > current {
                        entry.expiresAt = proposed
                    }
                }
                noteWritten(result.entry)
                return LearnOutcome(action: .reinforced, entry: usage.overlay(result.entry), sequence: result.sequence,
                                    similarity: match.similarity)
            }
            let outcome = try insert(prepared, context: context)
            return LearnOutcome(action: .created, entry: outcome.entry, sequence: outcome.sequence, similarity: nil,
                                namespaceCreated: outcome.namespaceCreated)
        }
    }

    /// The live, unexpired entry most similar to the prepared vector, by cosine similarity.
    /// Under cosine that is `1 − distance`; under l2 the nearest candidates are re-scored by
    /// exact cosine of their stored vectors.
    func nearestDuplicate(_ prepared: PreparedMemory, table: FactsTable,
                          now: Date) throws -> (entry: MemoryEntry, similarity: Double)? {
        let config = prepared.config
        let filter = CompiledFilter(nil, now: now)
        let hits = try table.withSharedAccess {
            try store.search(namespace: config.name, vector: prepared.vector, k: configuration.learnCandidates,
                             filter: { id in table.unsafeFacts(id).map(filter.admits) ?? false })
        }
        var best: (entry: MemoryEntry, similarity: Double)?
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
            if best.map({ similarity > $0.similarity }) ?? true { best = (entry, similarity) }
        }
        return best
    }
}
