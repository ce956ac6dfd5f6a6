import MemoryStore

/// What became of one item of a batch write (``MemoryEngine/rememberEach(_:namespace:dedupe:actor:reason:)``).
public enum BatchItemResult: Sendable, Equatable {
    /// Stored as a new entry (`dedupe: none`).
    case created(WriteOutcome)
    /// Gone through `learn` (`dedupe: learn`): created, reinforced, held back, refused…
    case learned(LearnOutcome)
    /// Not stored, and why.
    case failed(EngineError)
}

/// Bulk loads: many memories per request, each item judged on its own.
extension MemoryEngine {
    /// Most items one ``rememberEach(_:namespace:dedupe:actor:reason:)`` takes: a batch is
    /// one LMDB transaction, and a response lists every item.
    public static let maxBatchItems = 1000

    /// Remembers each of `requests` — the bulk load of a knowledge base. Every item is
    /// validated on its own: an invalid one is reported (``BatchItemResult/failed(_:)``) and
    /// the valid ones are stored. Texts are embedded together on the batch threads
    /// (``EngineConfiguration/batchEmbeddingThreads``), outside the writer lock.
    ///
    /// - `dedupe: .none`: the valid items are created in **one transaction**, all of them or
    ///   none (a failed commit throws and stores nothing); ids and sequences are consecutive
    ///   in order, one `created` event each.
    /// - `dedupe: .learn`: each valid item goes through ``learn(_:namespace:actor:reason:)``'s
    ///   rules in order, one transaction each, so an item also meets the batch's earlier
    ///   items (a repeated fact reinforces the first copy). Items committed before a store
    ///   failure stay stored and are reported; that item and the rest report the failure.
    ///
    /// When this returns, every stored item is durable (as the store's durability setting
    /// makes commits) and visible to reads and searches.
    /// - Returns: one result per request, in order.
    /// - Throws: for the whole request: `payload_too_large` (more than ``maxBatchItems``),
    ///   the namespace's errors (`invalid_argument` for its name, `namespace_not_found`),
    ///   and, with `dedupe: .none`, the commit's (`storage_full`, …).
    /// - Complexity: one parallel embedding of the texts, then one HNSW insertion per item
    ///   and one commit (`none`) or one learn per item (`learn`).
    public func rememberEach(_ requests: [RememberRequest], namespace: String, dedupe: BatchDedupe = .none,
                             actor: String = "user", reason: String? = nil) throws(EngineError) -> [BatchItemResult] {
        guard requests.count <= Self.maxBatchItems else {
            throw .payloadTooLarge("a batch takes at most \(Self.maxBatchItems) items, got \(requests.count)")
        }
        let config = try writableNamespace(namespace)
        guard !requests.isEmpty else { return [] }
        let items = prepareItems(requests, config: config)
        let context = context(actor: actor, reason: reason)
        var results = items.map { item -> BatchItemResult? in
            if case .failure(let error) = item { return .failed(error) }
            return nil
        }
        let valid = items.enumerated().compactMap { index, item in (try? item.get()).map { (index, $0) } }
        switch dedupe {
        case .none:
            let outcomes = try insertAll(valid.map(\.1), context: context)
            for ((index, _), outcome) in zip(valid, outcomes) { results[index] = .created(outcome) }
        case .learn:
            var failure: EngineError?
            for (index, memory) in valid {
                if let failure {
                    results[index] = .failed(failure)
                    continue
                }
                do {
                    results[index] = .learned(try exclusive { try learnLocked(memory, context: context) })
                } catch {
                    results[index] = .failed(error)
                    if Self.stopsBatch(error) { failure = error }
                }
            }
        }
        return results.map { $0 ?? .failed(.internalError("the batch left an item without a result")) }
    }

    /// Whether `error` is the store's rather than the item's, so the items after it would
    /// meet it too (a full disk, a store gone unusable).
    static func stopsBatch(_ error: EngineError) -> Bool {
        switch error {
        case .storageFull, .unavailable, .internalError: true
        default: false
        }
    }
}
