#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HNSW
import LMDB
public import MemoryStore

/// Operator actions: index rebuild, hot backup, verification, export and import.
extension MemoryEngine {
    /// Rebuilds `namespace`'s HNSW graph online with new `m` / `efConstruction` / `quantization`
    /// (or the current ones); searches and writes go on meanwhile. A quantized graph trains its
    /// codes afresh on the stored vectors. See `MemoryStore.rebuildIndex` for the method.
    /// Takes no engine lock: the store serialises the final switch with the writers.
    /// - Throws: `namespace_not_found`, `invalid_argument` (parameters), `cancelled`, `conflict`
    ///   (the namespace was deleted meanwhile), storage errors.
    @discardableResult
    public func rebuildIndex(
        namespace name: String, m: Int? = nil, efConstruction: Int? = nil, quantization: VectorQuantization? = nil,
        progress: (IndexRebuildProgress) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws(EngineError) -> IndexRebuildResult {
        var parameters = try existingNamespace(name).parameters
        if let m { parameters.m = m }
        if let efConstruction { parameters.efConstruction = efConstruction }
        if let quantization { parameters.quantization = quantization }
        do {
            try parameters.validate()
        } catch {
            throw .invalidArgument(error.description)
        }
        let result = try translatingErrors {
            try store.rebuildIndex(namespace: name, parameters: parameters, progress: progress, isCancelled: isCancelled)
        }
        logger.info("rebuilt index", metadata: ["namespace": "\(name)", "nodes": "\(result.nodes)",
                                                "caught_up": "\(result.caughtUp)", "seconds": "\(result.seconds)"])
        if !result.skipped.isEmpty {
            logger.error("the rebuilt index leaves out damaged entries", metadata: [
                "namespace": "\(name)", "entries": "\(result.skipped.map(\.problem))"])
        }
        return result
    }

    /// A compacted, consistent copy of the store in the new directory `destination`, taken
    /// while reads and writes go on (LMDB's copy runs in one read transaction).
    ///
    /// Refused with `storage_full` before anything is written when the destination's file
    /// system has less free space than the store's used pages (an upper bound of the
    /// compacted copy). Resolve an API request's path with ``BackupDestination/resolve(_:allowed:)``.
    /// - Returns: the bytes of the copy's data file.
    /// - Throws: `storage_full`, `conflict` (the destination appeared meanwhile), storage errors.
    @discardableResult
    public func backup(to destination: BackupDestination) throws(EngineError) -> Int {
        let needed = try translatingErrors { try store.storageInfo() }.usedBytes
        if let free = DiskSpace.availableBytes(at: destination.directory), free < needed {
            throw .storageFull("a backup needs up to \(needed) bytes; \(destination.directory) has \(free) free")
        }
        do {
            try store.backup(to: destination.path)
        } catch LMDBError.fileExists {
            throw .conflict("\"\(destination.path)\" exists: a backup goes to a new directory")
        } catch {
            throw EngineError(error)
        }
        return (try? store.backupSize(at: destination.path)) ?? 0
    }

    /// Checks every record and cross-reference of the store (see `MemoryStore.verify`). Never throws.
    public func verify() -> VerificationReport {
        store.verify()
    }

    /// A page of entries with their vectors, in id order, for export. O(log n + limit·dimension).
    /// - Throws: `namespace_not_found`, `invalid_argument` (limit outside 1…1000).
    public func exportPage(namespace name: String, after: UInt64 = 0, limit: Int = 100) throws(EngineError) -> VectorEntryPage {
        _ = try existingNamespace(name)
        guard (1...1000).contains(limit) else { throw .invalidArgument("limit must be in 1…1000, got \(limit)") }
        return try translatingErrors { try store.exportPage(namespace: name, after: after, limit: limit) }
    }

    /// Imports exported entries into `namespace`, keeping their ids (see
    /// `MemoryStore.importEntries`: created, unchanged, conflict or invalid per item). A missing
    /// namespace is created with the vectors' dimension and the defaults, when automatic
    /// creation is on.
    /// - Throws: `invalid_argument` (more than 10,000 items, no vectors), `namespace_not_found`,
    ///   storage errors (then nothing was imported).
    ///
    /// `orphanedClaims` (an export's claims whose holder is gone) are stored after the entries,
    /// in their own transaction (``MemoryStore/importOrphanedClaims(_:namespace:)``); the
    /// namespace must exist then.
    public func importEntries(_ items: [ImportItem], namespace name: String, actor: String = "import",
                              reason: String? = nil,
                              orphanedClaims: [(claim: RejectedClaim, vector: [Float])] = []) throws(EngineError) -> ImportReport {
        try Self.validateNamespaceName(name)
        guard items.count <= 10_000 else { throw .invalidArgument("at most 10000 entries per import call") }
        let context = context(actor: actor, reason: reason ?? "import")
        return try exclusive {
            if store.namespaceConfig(name) == nil {
                if items.isEmpty && !orphanedClaims.isEmpty {
                    throw EngineError.namespaceNotFound("namespace \"\(name)\" does not exist: rejected claims go to an existing one")
                }
                guard configuration.autoCreateNamespaces else {
                    throw EngineError.namespaceNotFound("namespace \"\(name)\" does not exist (automatic creation is off)")
                }
                guard let dimension = items.first?.vector.count, (1...65_536).contains(dimension) else {
                    throw EngineError.invalidArgument("the first entry has no usable vector to size the namespace")
                }
                try ensureNamespace(NamespaceConfig(name: name, dimension: dimension,
                                                    embedderID: dimension == embedder.dimension ? embedder.identifier : nil,
                                                    createdAt: context.time))
            }
            // The API's own rules for each field (the store checks only what it relies on).
            var outcomes = [ImportOutcome?](repeating: nil, count: items.count)
            var valid: [ImportItem] = []
            for (offset, item) in items.enumerated() {
                do throws(EngineError) {
                    try InputValidation.text(item.draft.text)
                    try InputValidation.metadata(item.draft.metadata)
                    _ = try InputValidation.tags(item.draft.tags)
                    try InputValidation.source(item.draft.source)
                    try InputValidation.confidence(item.draft.confidence)
                    valid.append(item)
                } catch {
                    outcomes[offset] = ImportOutcome(id: item.id, status: .invalid, message: error.message)
                }
            }
            guard case .imported(let report) = try write(.importEntries(namespace: name, items: valid.map(ImportedEntry.init),
                                                                        context: context)) else {
                throw EngineError.internalError("an import returned another outcome")
            }
            var stored = report.outcomes.makeIterator()
            for offset in outcomes.indices where outcomes[offset] == nil { outcomes[offset] = stored.next() }
            var result = ImportReport(outcomes: outcomes.compactMap { $0 }, sequence: report.sequence)
            if !orphanedClaims.isEmpty {
                guard case .count(let claims) = try write(.importOrphanedClaims(
                    namespace: name, claims: orphanedClaims.map { ClaimWithVector(claim: $0.claim, vector: $0.vector) })) else {
                    throw EngineError.internalError("importing claims returned another outcome")
                }
                result.claims = claims
            }
            return result
        }
    }
}
