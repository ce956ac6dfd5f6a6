#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemoryStore

/// Review: the learned facts held back (pending) or linked to what they may contradict
/// (conflicting), and a person's decision on each. A review decision is a person's word by
/// definition (that is what review is for), so ``EngineConfiguration/learningActors`` does not
/// apply to it: an automatic curator should not accept or reject.
extension MemoryEngine {
    /// Facts under review — pending entries and entries with `conflicts_with` — in id order
    /// after `after`, each with the live entries it may contradict.
    /// - Complexity: O(entries) over the in-memory facts table, plus one read per listed entry
    ///   and conflict.
    public func review(namespace: String, after: UInt64 = 0, limit: Int = 100) throws(EngineError) -> ReviewPage {
        try InputValidation.limit(limit, max: configuration.maxPageSize)
        _ = try existingNamespace(namespace)
        let table = try facts(namespace)
        let now = clock()
        let ids = table.matching { ($0.pending || $0.conflicting) && !$0.isExpired(at: now) }.map(\.id).filter { $0 > after }.sorted()
        let page = Array(ids.prefix(limit))
        let entries = try translatingErrors { try store.get(namespace: namespace, ids: page) }
        var items: [ReviewItem] = []
        for entry in entries.compactMap({ $0 }) {
            let linked = try translatingErrors { try store.get(namespace: namespace, ids: entry.conflictsWith) }
            items.append(ReviewItem(entry: usage.overlay(entry),
                                    conflicts: linked.compactMap { $0 }.filter { !Self.isExpired($0, at: now) }.map(usage.overlay)))
        }
        return ReviewPage(items: items, nextCursor: ids.count > limit ? page.last : nil)
    }

    /// Accepts a fact under review (audit `accepted`): it stops being pending, loses its
    /// conflict links and counts as a person's word from now on (not `learned`). The entries
    /// it conflicted with are left as they are: forget or edit them if the accepted fact
    /// replaces them.
    /// - Throws: `not_found`, `invalid_argument` when the entry is not under review.
    public func accept(namespace: String, id: UInt64, actor: String = "user", reason: String? = nil) throws(EngineError) -> WriteOutcome {
        _ = try existingNamespace(namespace)
        let context = context(actor: actor, reason: reason)
        return try exclusive {
            let result = try updateEntry(namespace: namespace, id: id, kind: .accepted, context: context) { entry in
                if Self.isExpired(entry, at: context.time) { throw EngineError.notFound("no entry \(id) in namespace \"\(namespace)\"") }
                guard entry.pending || !entry.conflictsWith.isEmpty else {
                    throw EngineError.invalidArgument("entry \(id) is not under review (neither pending nor conflicting)")
                }
                entry.pending = false
                entry.conflictsWith = []
                entry.learned = false
            }
            return WriteOutcome(entry: result.entry, sequence: result.sequence)
        }
    }

    /// Rejects a fact under review (audit `rejected`): the entry is removed, and its text
    /// becomes a rejected claim of the first live entry it conflicted with (of itself when
    /// none is left), so `learn` refuses it from then on. A revert can restore it (and takes
    /// the claim back).
    /// - Throws: `not_found`, `invalid_argument` when the entry is not under review.
    public func reject(namespace: String, id: UInt64, actor: String = "user", reason: String? = nil) throws(EngineError) -> WriteOutcome {
        _ = try existingNamespace(namespace)
        let context = context(actor: actor, reason: reason)
        return try exclusive {
            guard let entry = try store.get(namespace: namespace, id: id), !Self.isExpired(entry, at: context.time) else {
                throw EngineError.notFound("no entry \(id) in namespace \"\(namespace)\"")
            }
            guard entry.pending || !entry.conflictsWith.isEmpty else {
                throw EngineError.invalidArgument("entry \(id) is not under review (neither pending nor conflicting)")
            }
            let owner = try entry.conflictsWith.first { try store.get(namespace: namespace, id: $0) != nil }
            let result = try write(.delete(EntryDeletion(namespace: namespace, id: id, kind: .rejected, rejecting: .reviewed,
                                                         claimOwner: owner, context: context))).writeResult()
            return WriteOutcome(entry: result.entry, sequence: result.sequence)
        }
    }

    /// The rejected claims entry `id` holds, oldest first (the entry may be forgotten: a
    /// forget keeps its text as its own claim).
    /// - Throws: `namespace_not_found`.
    public func rejectedClaims(namespace: String, id: UInt64) throws(EngineError) -> [RejectedClaim] {
        _ = try existingNamespace(namespace)
        return try translatingErrors { try store.rejectedClaims(namespace: namespace, entryID: id) }
    }
}
