#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
public import HNSW
import LMDB

/// Where an index rebuild is, for progress reports.
public struct IndexRebuildProgress: Sendable, Equatable {
    public enum Phase: String, Sendable, Codable {
        /// Reading the entries and vectors and inserting them into the new graph.
        case building
        /// Applying the writes made since the rebuild started.
        case catchingUp = "catching_up"
        /// Writing the new graph and switching searches to it (writes wait meanwhile).
        case persisting
    }

    public var phase: Phase
    /// Entries inserted into the new graph so far.
    public var done: Int
    /// Entries to insert (the live count when the rebuild started; writes meanwhile change it).
    public var total: Int

    public init(phase: Phase, done: Int, total: Int) {
        self.phase = phase
        self.done = done
        self.total = total
    }
}

/// What a finished rebuild did.
public struct IndexRebuildResult: Sendable, Equatable {
    public var namespace: String
    /// Live nodes in the new graph.
    public var nodes: Int
    /// Entries created, changed or deleted while the graph was being built, applied before the switch.
    public var caughtUp: Int
    /// The parameters of the new graph.
    public var parameters: HNSWParameters
    public var seconds: Double
    /// Entries left out of the new graph because their record or vector cannot be read
    /// (`verify` lists them too; `engram salvage` copies what is readable to a new store).
    public var skipped: [DamagedRecord] = []
}

/// Online index rebuild: a new graph for a namespace, built from its stored entries and
/// vectors while searches and writes go on, then switched in atomically and persisted.
///
/// ## Method
/// 1. **Build.** Entries are read in pages (each page its own short read transaction, so no
///    long-lived reader holds back LMDB's page reuse or a map resize) and inserted into a new,
///    private `HNSWIndex` **in the slots they already have** (`HNSWWriteBatch.insert(_:key:slot:)`).
///    Vectors are keyed by slot and entries name their slot, so neither moves: the switch
///    rewrites only the graph. Searches and writes use the old index meanwhile.
/// 2. **Catch up.** Every write since the start left an audit event naming the namespace and
///    the entry. For each entry named after the last applied sequence, the new graph is made to
///    agree with the stored entry: removed if gone or moved to another slot (then consolidated,
///    which frees the slot), inserted in its current slot if missing. A first round runs
///    without blocking writers; the last one under the store's write lock.
/// 3. **Switch.** Still under the write lock, one transaction replaces the namespace's graph
///    records and state (and its parameters when they changed) and drops the vectors of slots
///    the old graph still kept for deleted nodes; then the namespace table points at the new
///    index. The lexical index, which every write keeps true, is left as it is — except in a
///    store opened without its indexes (the operator's offline rebuild, the repair of a store
///    whose lexical records or statistics were refused at open), where this transaction also
///    rewrites it from the entries' texts (O(entries·text), with no writer to wait). Searches already
///    running finish on the old ones.
///
/// Nothing is written before step 3, so a cancelled or failed rebuild leaves the store exactly
/// as it was. A write is never lost: it either happened before a page was read, or after the
/// sequence a catch-up round started from, or during the final round, which holds the lock.
extension MemoryStore {
    /// Entries read (and inserted) per read transaction.
    static let rebuildPageSize = 2048

    /// Rebuilds `namespace`'s graph online (see above), with `parameters` (M, efConstruction…)
    /// or the namespace's current ones.
    ///
    /// - Parameters:
    ///   - progress: called from this thread after every page and phase change.
    ///   - isCancelled: polled between pages; when it returns `true` the rebuild stops and
    ///     throws ``MemoryStoreError/cancelled(_:)``, having changed nothing.
    /// - Throws: `namespaceNotFound`; `invalidArgument` for invalid parameters; `cancelled`;
    ///   `corrupt` for a damaged entry or vector; `conflict` when the namespace is deleted or
    ///   replaced meanwhile; LMDB errors from the final commit (nothing changed then either).
    /// - Complexity: one HNSW insertion per entry (O(n·efConstruction·M·log n) distances), plus
    ///   O(n) records written in the final transaction, during which writes wait.
    @discardableResult
    public func rebuildIndex(
        namespace name: String, parameters: HNSWParameters? = nil,
        progress: (IndexRebuildProgress) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> IndexRebuildResult {
        let started = Date()
        let old = try handle(name)
        let newParameters = parameters ?? old.config.parameters
        let fresh: HNSWIndex
        do {
            fresh = try HNSWIndex(dimension: old.config.dimension, metric: old.config.metric, parameters: newParameters)
        } catch {
            throw MemoryStoreError.invalidArgument("\(error)")
        }
        func checkCancelled() throws {
            if isCancelled() { throw MemoryStoreError.cancelled("index rebuild of \"\(name)\"") }
        }

        // 1. Build from pages of entries.
        let total = old.index.count
        var done = 0
        var after: UInt64 = 0
        var firstSequence: UInt64?
        var skipped: [DamagedRecord] = []
        progress(IndexRebuildProgress(phase: .building, done: 0, total: total))
        while true {
            try checkCancelled()
            let page = try readRebuildPage(old, after: after)
            if firstSequence == nil { firstSequence = page.nextSequence }
            try fresh.write { batch in
                for item in page.items {
                    do {
                        try batch.insert(item.vector, key: item.id, slot: item.slot, stored: true)
                    } catch HNSWError.slotInUse, HNSWError.duplicateKey {
                        // The pages are separate snapshots: an entry deleted and its slot reused
                        // between two pages. Both have audit events; the catch-up sorts them out.
                    } catch {
                        throw MemoryStoreError.corrupt("entry \(item.id) of \"\(name)\": \(error)")
                    }
                }
            }
            done += page.items.count
            skipped += page.damaged
            progress(IndexRebuildProgress(phase: .building, done: done, total: max(total, done)))
            guard let last = page.lastID, page.more else { break }
            after = last
        }

        // 2. Catch up without blocking writers, then 3. under the write lock, and switch.
        progress(IndexRebuildProgress(phase: .catchingUp, done: done, total: max(total, done)))
        try checkCancelled()
        var caughtUp = try catchUp(fresh, namespace: old, from: firstSequence ?? 1)
        return try exclusive {
            guard let current = namespaceTable.withLock({ $0[name] }), current === old else {
                throw MemoryStoreError.namespaceConflict("\"\(name)\" was deleted or replaced during the rebuild")
            }
            try checkCancelled()
            caughtUp.count += try catchUp(fresh, namespace: old, from: caughtUp.nextSequence).count
            progress(IndexRebuildProgress(phase: .persisting, done: done, total: max(total, done)))
            var config = old.config
            config.parameters = newParameters
            // Built with its vectors in memory (the catch-up compares them); the store has
            // every one of them under the same slot, so it may read them from there now.
            let installed = try vectorSource(namespace: old.id, config: config).map { source in
                do {
                    return try fresh.movingVectors(to: source)
                } catch {
                    throw MemoryStoreError.invalidArgument("\(error)")
                }
            } ?? fresh
            let lexical = try persistRebuiltGraph(installed, replacing: old, config: config, rewriteLexical: !old.indexLoaded)
            namespaceTable.withLock {
                $0[name] = NamespaceHandle(id: old.id, config: config, index: installed, lexical: lexical, indexLoaded: true)
            }
            return IndexRebuildResult(namespace: name, nodes: fresh.count, caughtUp: caughtUp.count,
                                      parameters: newParameters, seconds: Date().timeIntervalSince(started),
                                      skipped: skipped)
        }
    }

    /// One page of live entries for the build: id, slot and vector, plus the sequence the
    /// next write will get (the catch-up starts there for the first page).
    struct RebuildPage {
        var items: [(id: UInt64, slot: UInt32, vector: [Float])] = []
        /// Entries left out of the new graph: their record or vector cannot be read.
        var damaged: [DamagedRecord] = []
        var lastID: UInt64?
        var more = false
        var nextSequence: UInt64 = 1
    }

    func readRebuildPage(_ ns: NamespaceHandle, after: UInt64) throws -> RebuildPage {
        try env.read { txn in
            let page = try readEntryPage(txn, ns, after: after, limit: Self.rebuildPageSize) { entry in
                (entry.id, entry.slot, try readVector(txn, ns, entry))
            }
            return RebuildPage(items: page.items, damaged: page.damaged, lastID: page.lastID, more: page.more,
                               nextSequence: try Counters.read(txn, dbs).nextSequence)
        }
    }

    /// Makes `fresh` agree with the stored entries of every entry that has an audit event in
    /// `ns` with sequence ≥ `sequence`. O(changed entries · insertion).
    /// - Returns: how many entries were looked at, and the sequence to continue from.
    func catchUp(_ fresh: HNSWIndex, namespace ns: NamespaceHandle, from sequence: UInt64) throws -> (count: Int, nextSequence: UInt64) {
        // The changed entries' current state, in one read transaction.
        let (changed, next) = try env.read { txn -> ([UInt64: (slot: UInt32, vector: [Float])?], UInt64) in
            let next = try Counters.read(txn, dbs).nextSequence
            var ids = Set<UInt64>()
            let prefix = Keys.auditByNamespacePrefix(ns.config.name)
            var start = prefix
            start.appendBigEndian(sequence)
            let range = KeyRange(lowerBound: start, upperBound: KeyRange.prefix(prefix).upperBound)
            var sequences: [UInt64] = []
            try txn.forEach(in: dbs.auditByNamespace, range: range) { key, _ in
                if key.count == prefix.count + 8, let s = UInt64(bigEndianBytes: key, at: prefix.count) { sequences.append(s) }
                return .continue
            }
            for s in sequences {
                guard let bytes = try txn.get(Keys.audit(s), in: dbs.audit) else {
                    throw MemoryStoreError.corrupt("audit index lists event \(s), which is missing")
                }
                ids.insert(try RecordCodec.decode(AuditEvent.self, from: bytes, what: "audit event \(s)").entryID)
            }
            var changed: [UInt64: (slot: UInt32, vector: [Float])?] = [:]
            for id in ids {
                if let entry = try readEntry(txn, ns, id) {
                    changed[id] = (entry.slot, try readVector(txn, ns, entry))
                } else {
                    changed[id] = .some(nil)
                }
            }
            return (changed, next)
        }
        guard !changed.isEmpty else { return (0, next) }

        // Out with what moved or went, then free those slots, then in with what is missing.
        var missing: [(id: UInt64, slot: UInt32, vector: [Float])] = []
        var stale: [UInt64] = []
        for (id, stored) in changed {
            let slot = fresh.slot(for: id)
            guard let stored else {
                if slot != nil { stale.append(id) }
                continue
            }
            // Same slot is not enough: a slot freed and reused may hold the entry's newer vector.
            if let slot, slot == stored.slot, fresh.vector(for: id) == stored.vector { continue }
            if slot != nil { stale.append(id) }
            missing.append((id, stored.slot, stored.vector))
        }
        if !stale.isEmpty {
            fresh.write { batch in
                for id in stale { batch.remove(id) }
            }
        }
        fresh.consolidate()
        try fresh.write { batch in
            for item in missing.sorted(by: { $0.slot < $1.slot }) {
                do {
                    try batch.insert(item.vector, key: item.id, slot: item.slot, stored: true)
                } catch {
                    throw MemoryStoreError.corrupt("rebuild catch-up of entry \(item.id) in slot \(item.slot): \(error)")
                }
            }
        }
        return (changed.count, next)
    }

    /// Replaces `old`'s graph records, state and configuration by `fresh`'s in one transaction,
    /// drops the vectors of slots `fresh` does not use, and with `rewriteLexical` rewrites the
    /// lexical index from the entries' texts in the same transaction. Returns the namespace's
    /// lexical index from then on. Precondition: `writeLock` held.
    func persistRebuiltGraph(_ fresh: HNSWIndex, replacing old: NamespaceHandle, config: NamespaceConfig,
                             rewriteLexical: Bool) throws -> LexicalTable {
        let (state, records) = fresh.snapshot()
        var live = Set<UInt32>()
        for record in records where record.state == .live { live.insert(record.slot) }
        let prefix = Keys.namespace(old.id)
        let (oldNodes, oldVectors, lexical) = try env.read { txn -> ([[UInt8]], [[UInt8]], LexicalRebuild?) in
            var nodes: [[UInt8]] = []
            try txn.forEach(in: dbs.nodes, range: .prefix(prefix)) { key, _ in
                nodes.append(Array(key))
                return .continue
            }
            var vectors: [[UInt8]] = []
            try txn.forEach(in: dbs.vectors, range: .prefix(prefix)) { key, _ in
                if key.count == 8, let slot = UInt32(bigEndianBytes: key, at: 4), !live.contains(slot) { vectors.append(Array(key)) }
                return .continue
            }
            return (nodes, vectors,
                    rewriteLexical ? try LexicalLoader.recompute(txn, dbs, StoredNamespace(id: old.id, config: config)) : nil)
        }
        var set = WriteSet(dbs)
        for key in oldNodes { set.delete(key, in: dbs.nodes) }
        for key in oldVectors { set.delete(key, in: dbs.vectors) }
        for record in records where record.state != .free {
            set.put(record.encoded(), key: Keys.slot(old.id, record.slot), in: dbs.nodes)
        }
        set.put(state.encoded(), key: prefix, in: dbs.graphState)
        if config != old.config {
            set.put(try RecordCodec.encode(StoredNamespace(id: old.id, config: config)), key: Array(config.name.utf8), in: dbs.namespaces)
        }
        lexical?.write(to: &set, namespace: old.id)
        let counters = try currentCounters()
        try commit(set, from: counters, to: counters)
        return lexical?.table ?? old.lexical
    }
}
