#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HNSW
import LMDB

/// Entry writes. Each is one LMDB transaction holding the entry, the graph changes, the
/// vector, the lexical document and statistics, and the audit event, run inside an `HNSWIndex.write` batch so that a failed commit
/// rolls the index back (see `MemoryStore`).
extension MemoryStore {
    /// Creates an entry in `namespace` from `draft`, indexed under `vector`.
    ///
    /// - Returns: the stored entry (with its new id and slot) and the `created` event's sequence.
    /// - Throws: `namespaceNotFound`, `invalidVector`, `invalidArgument`; `LMDBError.mapFull`
    ///   (nothing is changed) when the store cannot grow.
    /// - Complexity: one HNSW insertion (O(efConstruction·M·log n) distances) and one commit.
    @discardableResult
    public func insert(_ draft: MemoryDraft, vector: [Float], namespace: String, context: AuditContext) throws -> WriteResult {
        try insertBatch([(draft, vector)], namespace: namespace, context: context)[0]
    }

    /// Creates many entries in one transaction (imports): all of them or none. Ids and
    /// sequence numbers are consecutive, in `items` order; every entry gets its own `created`
    /// event with the same context.
    ///
    /// The transaction holds every entry, vector, touched graph node and event, so size
    /// batches to a few thousand entries: LMDB limits the pages one transaction may dirty
    /// (`LMDBError.transactionFull`).
    @discardableResult
    public func insertBatch(_ items: [(draft: MemoryDraft, vector: [Float])], namespace name: String,
                            context: AuditContext) throws -> [WriteResult] {
        guard !items.isEmpty else { return [] }
        return try exclusive {
            let ns = try indexedHandle(name)
            for (offset, item) in items.enumerated() {
                do {
                    try Validation.draft(item.draft)
                    try Validation.vector(item.vector, for: ns.config)
                } catch let error as MemoryStoreError where items.count > 1 {
                    throw error.locating("item \(offset)")
                }
            }
            let counters = try currentCounters()
            let next = try counters.advanced(entries: items.count, events: items.count)
            return try ns.index.write { batch in
                for (offset, item) in items.enumerated() {
                    try Self.indexing { () throws(HNSWError) in try batch.insert(item.vector, key: counters.nextEntryID + UInt64(offset)) }
                }
                let delta = batch.delta()
                let slots = delta.liveSlots
                var set = WriteSet(dbs)
                var results: [WriteResult] = []
                var lexical: [LexicalChange] = []
                results.reserveCapacity(items.count)
                lexical.reserveCapacity(items.count)
                for (offset, item) in items.enumerated() {
                    let id = counters.nextEntryID + UInt64(offset)
                    guard let slot = slots[id] else { throw MemoryStoreError.corrupt("index returned no slot for entry \(id)") }
                    let entry = MemoryEntry(id: id, namespace: name, slot: slot, draft: item.draft)
                    let sequence = counters.nextSequence + UInt64(offset)
                    try set.putEntry(entry, namespace: ns.id, new: true)
                    try set.appendAudit(AuditEvent(sequence: sequence, kind: .created, time: context.time, actor: context.actor,
                                                   namespace: name, entryID: id, before: nil, after: entry, reason: context.reason))
                    lexical.append(LexicalChange(key: id, document: ns.lexical.document(of: entry.text)))
                    results.append(WriteResult(entry: entry, sequence: sequence))
                }
                set.addGraphDelta(delta, namespace: ns.id)
                addLexical(lexical, to: ns, set: &set)
                try commit(set, from: counters, to: next)
                ns.lexical.apply(lexical)
                return results
            }
        }
    }

    /// Brings back entry `id`, deleted from `namespace`, as `entry` says (its content and
    /// bookkeeping; the store sets `version` to one past `entry.version`, `updatedAt` to the
    /// event time and the slot), indexed under `vector`, with a `restored` event. One
    /// transaction, like a create.
    ///
    /// - Throws: `invalidArgument` when an entry with this id exists (it is not deleted), or
    ///   the id's history in the store is not that of an entry of `namespace` whose last event
    ///   deleted or expired it without scrubbing (a hard delete leaves nothing to restore);
    ///   `invalidVector`; `LMDBError` from the commit.
    @discardableResult
    public func restore(_ entry: MemoryEntry, vector: [Float], namespace name: String, context: AuditContext) throws -> WriteResult {
        let id = entry.id
        return try exclusive {
            let ns = try indexedHandle(name)
            try Validation.vector(vector, for: ns.config)
            let (counters, existing, history) = try env.read { txn in
                (try Counters.read(txn, dbs), try readEntry(txn, ns, id),
                 try readAudit(txn, keysIn: dbs.auditByEntry, prefix: UInt64Key(id).bytes, after: 0, limit: .max))
            }
            guard existing == nil else { throw MemoryStoreError.invalidArgument("entry \(id) exists: it is not deleted") }
            guard let last = history.last(where: { $0.kind.changesEntry }), last.namespace == name,
                  AuditKind.deleteKinds.contains(last.kind) else {
                throw MemoryStoreError.invalidArgument("entry \(id) was not deleted from namespace \"\(name)\"")
            }
            guard !last.isScrubbed else {
                throw MemoryStoreError.invalidArgument("entry \(id) was hard-deleted: its content is gone and it cannot be restored")
            }
            guard entry.version < MemoryStore.maxCount else {
                throw MemoryStoreError.invalidArgument("entry \(id) is at version \(entry.version), the largest a store keeps")
            }
            // Restoring takes back the claim its deletion made (held by it, or by the entry a
            // review rejection named: found by the deleting event's sequence, without decoding
            // the namespace's claims) and any claim it holds of the text it comes back with.
            let staleClaims = try env.read { txn -> [[UInt8]] in
                var keys = try txn.keys(in: dbs.rejectedClaims, range: .prefix(Keys.namespace(ns.id))).filter {
                    $0.count == Keys.claimKeyLength && UInt64(bigEndianBytes: $0, at: 12) == last.sequence
                }
                keys += try readClaims(txn, ns, owner: id).filter { $0.claim.text == entry.text }.map(\.key)
                return keys
            }
            let sequence = counters.nextSequence
            let next = try counters.advanced(events: 1)
            return try ns.index.write { batch in
                try Self.indexing { () throws(HNSWError) in try batch.insert(vector, key: id) }
                let delta = batch.delta()
                guard let slot = delta.liveSlots[id] else { throw MemoryStoreError.corrupt("index returned no slot for entry \(id)") }
                var restored = entry
                restored.namespace = name
                restored.slot = slot
                restored.version = entry.version + 1
                restored.updatedAt = context.time
                try Validation.entry(restored)
                var set = WriteSet(dbs)
                try set.putEntry(restored, namespace: ns.id, new: true)
                for key in Set(staleClaims) { set.delete(key, in: dbs.rejectedClaims) }
                try set.appendAudit(AuditEvent(sequence: sequence, kind: .restored, time: context.time, actor: context.actor,
                                               namespace: name, entryID: id, before: nil, after: restored, reason: context.reason))
                set.addGraphDelta(delta, namespace: ns.id)
                let lexical = [LexicalChange(key: id, document: ns.lexical.document(of: restored.text))]
                addLexical(lexical, to: ns, set: &set)
                try commit(set, from: counters, to: next)
                ns.lexical.apply(lexical)
                return WriteResult(entry: restored, sequence: sequence)
            }
        }
    }

    /// Changes an entry: `change` edits a copy of it (its `id`, `namespace`, `slot` and
    /// `version` are restored afterwards), the store sets `version` + 1 and `updatedAt` =
    /// `context.time`, and records a `kind` event with the entry before and after.
    ///
    /// Pass `vector` when the text changed (the store cannot embed): the entry is re-indexed
    /// under it (new slot; the old node is retired in the same batch, so a concurrent search
    /// sees the old or the new vector, never neither).
    ///
    /// `change` runs once, under the store's write lock: it may read the store but must not
    /// write to it (the lock is not reentrant).
    ///
    /// With `rejecting`, the text the entry had before becomes a rejected claim of it, with the
    /// vector it was indexed under, in the same transaction (`.corrected`: only when the text
    /// changes; any cause: not when the entry already holds a claim of that text). With
    /// `reinstating`, when the text changes, claims the entry holds of its new text are
    /// removed (a revert or an edit back to a text a correction had replaced makes that text
    /// right again).
    ///
    /// - Parameter kind: `.updated`, `.reinforced`, `.feedback`, `.reverted` or `.accepted`.
    /// - Throws: `entryNotFound`, `invalidArgument`, `invalidVector`, what `change` throws
    ///   (nothing is written then), `LMDBError` from the commit (nothing is changed).
    @discardableResult
    public func update(namespace name: String, id: UInt64, kind: AuditKind = .updated, vector: [Float]? = nil,
                       rejecting: RejectionCause? = nil, reinstating: Bool = false, context: AuditContext,
                       _ change: (inout MemoryEntry) throws -> Void) throws -> WriteResult {
        guard AuditKind.updateKinds.contains(kind) else {
            throw MemoryStoreError.invalidArgument("an update records updated, reinforced, feedback, reverted or accepted, not \(kind)")
        }
        return try exclusive {
            let ns = try indexedHandle(name)
            if let vector { try Validation.vector(vector, for: ns.config) }
            let (counters, before, rejectable, held) = try env.read { txn in
                let entry = try readEntry(txn, ns, id)
                let held = rejecting != nil || reinstating ? try readClaims(txn, ns, owner: id) : []
                var rejectable: (vector: [Float], held: [String])?
                if rejecting != nil, let entry { rejectable = (try readVector(txn, ns, entry), held.map(\.claim.text)) }
                return (try Counters.read(txn, dbs), entry, rejectable, held)
            }
            guard let before else { throw MemoryStoreError.entryNotFound(namespace: name, id: id) }
            var after = before
            try change(&after)
            after.id = before.id
            after.namespace = before.namespace
            after.slot = before.slot
            guard before.version < MemoryStore.maxCount else {
                throw MemoryStoreError.invalidArgument(
                    "entry \(id) is at version \(before.version), the largest a store keeps; export it and import it as a new entry")
            }
            after.version = before.version + 1
            after.updatedAt = context.time
            try Validation.entry(after)
            let sequence = counters.nextSequence
            let next = try counters.advanced(events: 1)

            // The terms change only with the text.
            let lexical = after.text == before.text ? [] : [LexicalChange(key: id, document: ns.lexical.document(of: after.text))]
            var claim: (RejectedClaim, [Float])?
            if let rejecting, let rejectable, rejecting != .corrected || after.text != before.text,
               !rejectable.held.contains(before.text) {
                claim = (RejectedClaim(entryID: id, sequence: sequence, text: before.text, cause: rejecting, fromEntry: id,
                                       actor: context.actor, reason: context.reason, rejectedAt: context.time), rejectable.vector)
            }

            func finish(_ delta: HNSWDelta?) throws -> WriteResult {
                var set = WriteSet(dbs)
                if let delta {
                    guard let slot = delta.liveSlots[id] else { throw MemoryStoreError.corrupt("index returned no slot for entry \(id)") }
                    after.slot = slot
                    set.addGraphDelta(delta, namespace: ns.id)
                }
                try set.putEntry(after, namespace: ns.id, new: false)
                if let (claim, vector) = claim { try set.putClaim(claim, vector: vector, namespace: ns.id) }
                if reinstating && after.text != before.text {
                    for stale in held where stale.claim.text == after.text { set.delete(stale.key, in: dbs.rejectedClaims) }
                }
                try set.appendAudit(AuditEvent(sequence: sequence, kind: kind, time: context.time, actor: context.actor,
                                               namespace: name, entryID: id, before: before, after: after, reason: context.reason,
                                               claim: claim?.0.text))
                addLexical(lexical, to: ns, set: &set)
                try commit(set, from: counters, to: next)
                ns.lexical.apply(lexical)
                return WriteResult(entry: after, sequence: sequence)
            }

            let result: WriteResult
            if let vector {
                result = try ns.index.write { batch in
                    try Self.indexing { () throws(HNSWError) in try batch.update(vector, key: id) }
                    return try finish(batch.delta())
                }
                consolidate(ns, force: false)
            } else {
                result = try finish(nil)
            }
            return result
        }
    }

    /// Deletes an entry: it leaves the entries and the index at once; its graph node stays,
    /// marked deleted, until consolidation frees the slot and its vector. The event keeps the
    /// entry as it was.
    ///
    /// With `hard`, every audit event of the entry (this one included) is scrubbed of its
    /// content (``AuditEvent/scrubbed()``), the graph is consolidated right away so the vector
    /// is gone too, and the freed pages that held the old records are overwritten
    /// (``scrubFreePages()``). (If that consolidation cannot commit, e.g. on a full disk, the deleted
    /// node and its vector remain until the next consolidation; the entry is gone either way.)
    ///
    /// With `rejecting` (and not `hard`), the entry's text becomes a rejected claim, with its
    /// vector, in the same transaction: held by `claimOwner` when that is a live entry of the
    /// namespace (a rejected pending fact is held by the entry it conflicted with), else by
    /// the deleted entry itself. A hard delete removes the claims the entry holds.
    ///
    /// - Parameter kind: `.deleted`, `.expired` (the engine's purge of expired entries) or
    ///   `.rejected` (review).
    /// - Returns: the entry as it was before, and the event's sequence.
    @discardableResult
    public func delete(namespace name: String, id: UInt64, hard: Bool = false, kind: AuditKind = .deleted,
                       rejecting: RejectionCause? = nil, claimOwner: UInt64? = nil,
                       context: AuditContext) throws -> WriteResult {
        guard AuditKind.deleteKinds.contains(kind) else {
            throw MemoryStoreError.invalidArgument("a delete records deleted, expired or rejected, not \(kind)")
        }
        return try exclusive {
            let ns = try indexedHandle(name)
            let (counters, found, history, wipes, rejectable) = try env.read { txn in
                let history = hard ? try readAudit(txn, keysIn: dbs.auditByEntry, prefix: UInt64Key(id).bytes, after: 0, limit: .max) : []
                let entry = try readEntry(txn, ns, id)
                var rejectable: (vector: [Float], owner: UInt64, held: [String])?
                if rejecting != nil, !hard, let entry {
                    var owner = id
                    if let claimOwner, claimOwner != id, try readEntry(txn, ns, claimOwner) != nil { owner = claimOwner }
                    rejectable = (try readVector(txn, ns, entry), owner, try readClaims(txn, ns, owner: owner).map(\.claim.text))
                }
                return (try Counters.read(txn, dbs), entry, history,
                        hard ? try recordsToWipe(txn, ns, id, history) : [], rejectable)
            }
            guard let before = found else { throw MemoryStoreError.entryNotFound(namespace: name, id: id) }
            let sequence = counters.nextSequence
            let next = try counters.advanced(events: 1)
            let result = try ns.index.write { batch in
                batch.remove(id)
                let delta = batch.delta()
                var set = WriteSet(dbs)
                let lexical = [LexicalChange(key: id, document: nil)]
                for wipe in wipes { set.wipe(wipe) }
                for wipe in wipes where wipe.db == dbs.rejectedClaims { set.delete(wipe.key, in: dbs.rejectedClaims) }
                set.delete(Keys.entry(ns.id, id), in: dbs.entries)
                set.addGraphDelta(delta, namespace: ns.id)
                addLexical(lexical, to: ns, set: &set)
                var claimText: String?
                if let rejecting, let rejectable, !rejectable.held.contains(before.text) {
                    let claim = RejectedClaim(entryID: rejectable.owner, sequence: sequence, text: before.text, cause: rejecting,
                                              fromEntry: id, actor: context.actor, reason: context.reason, rejectedAt: context.time)
                    try set.putClaim(claim, vector: rejectable.vector, namespace: ns.id)
                    claimText = claim.text
                }
                var event = AuditEvent(sequence: sequence, kind: kind, time: context.time, actor: context.actor,
                                       namespace: name, entryID: id, before: before, after: nil, reason: context.reason,
                                       claim: claimText)
                if hard {
                    event = event.scrubbed()
                    for earlier in history { try set.rewriteAudit(earlier.scrubbed()) }
                }
                try set.appendAudit(event)
                try commit(set, from: counters, to: next)
                ns.lexical.apply(lexical)
                return WriteResult(entry: before, sequence: sequence)
            }
            consolidate(ns, force: hard)
            if hard { scrubPending.store(true, ordering: .relaxed) }
            return result
        }
    }

    /// The records of entry `id` that hold its content — the entry, its lexical document, its
    /// audit events, the rejected claims it holds — with their stored lengths, for a hard
    /// delete to zero before it deletes or rewrites them. Precondition: inside the delete's read.
    func recordsToWipe(_ txn: Transaction, _ ns: NamespaceHandle, _ id: UInt64, _ history: [AuditEvent]) throws -> [RecordWipe] {
        var wipes: [RecordWipe] = []
        let claimKeys = try txn.keys(in: dbs.rejectedClaims, range: .prefix(Keys.entry(ns.id, id)))
        for (db, key) in [(dbs.entries, Keys.entry(ns.id, id)), (dbs.lexicalDocuments, Keys.entry(ns.id, id))]
            + claimKeys.map({ (dbs.rejectedClaims, $0) })
            + history.map({ (dbs.audit, Keys.audit($0.sequence).bytes) }) {
            if let length = try txn.withValue(forKey: key, in: db, { $0.count }) {
                wipes.append(RecordWipe(db: db, key: key, length: length))
            }
        }
        return wipes
    }

    /// Records that entries were returned to clients: each entry's `useCount` grows by its
    /// use's `count` and its `lastUsedAt` becomes the use's time (unless it is already
    /// later). A usage statistic, not a change of knowledge: no audit event, no new version,
    /// so recalls do not flood the log. Ids that are gone are skipped.
    /// - Returns: how many entries were updated.
    /// - Complexity: one transaction; each entry read and rewritten once, whatever its count.
    @discardableResult
    public func recordUse(namespace name: String, uses: [UInt64: EntryUse]) throws -> Int {
        try exclusive {
            let ns = try handle(name)
            let ids = uses.keys.sorted()  // key order: sequential B-tree pages
            let (counters, entries) = try env.read { txn in
                (try Counters.read(txn, dbs), try ids.compactMap { try readEntry(txn, ns, $0) })
            }
            guard !entries.isEmpty else { return 0 }
            var set = WriteSet(dbs)
            for var entry in entries {
                guard let use = uses[entry.id] else { continue }
                entry.useCount = MemoryStore.saturatingCount(entry.useCount, plus: use.count)
                if entry.lastUsedAt.map({ $0 < use.lastUsedAt }) ?? true { entry.lastUsedAt = use.lastUsedAt }
                try set.putEntry(entry, namespace: ns.id, new: false)
            }
            try commit(set, from: counters, to: counters)
            return entries.count
        }
    }

    /// Repairs the graph around deleted nodes and frees their slots and vectors now, in its
    /// own transaction. Writes call it themselves once deleted nodes reach the namespace's
    /// `consolidationFraction`; this is the operator's way to force it.
    public func consolidate(namespace name: String) throws {
        try exclusive {
            try persistConsolidation(try indexedHandle(name))
        }
    }

    /// Consolidates when due (or `force`). A failure is not reported: the write that triggered
    /// it has committed, the index rolled back to the committed graph, and the next write
    /// that finds consolidation due tries again. Precondition: `writeLock` held.
    func consolidate(_ ns: NamespaceHandle, force: Bool) {
        guard force || ns.index.needsConsolidation else { return }
        try? persistConsolidation(ns)
    }

    /// Overwrites every page on the data file's free list with zeros, so that the old copies
    /// of deleted records (LMDB is copy-on-write: a delete frees the pages that held them,
    /// with their bytes) are gone from `data.mdb`. Writes go on meanwhile; reads are not
    /// affected. Returns the pages overwritten, or `nil` when a long read transaction (a
    /// backup, an export) still needs some of them: try again later.
    /// - Complexity: about two writes of every free page (`Environment.overwriteFreePages`).
    @discardableResult
    public func scrubFreePages() throws -> Int? {
        try env.overwriteFreePages(in: dbs.scrubScratch)
    }

    /// ``scrubFreePages()`` if a hard delete happened since the last completed scrub, else
    /// `nil`. The daemon calls it from its maintenance loop, so a hard-deleted text is gone
    /// from the file within one maintenance interval (or, while a long read transaction needs
    /// the pages, at the first interval after it ends). A scrub that failed or could not run
    /// stays pending.
    @discardableResult
    public func scrubFreePagesIfPending() throws -> Int? {
        guard scrubPending.exchange(false, ordering: .relaxed) else { return nil }
        do {
            guard let pages = try scrubFreePages() else {
                scrubPending.store(true, ordering: .relaxed)
                return nil
            }
            return pages
        } catch {
            scrubPending.store(true, ordering: .relaxed)
            throw error
        }
    }

    /// Precondition: `writeLock` held.
    func persistConsolidation(_ ns: NamespaceHandle) throws {
        try ns.index.write { batch in
            batch.consolidate()
            var set = WriteSet(dbs)
            set.addGraphDelta(batch.delta(), namespace: ns.id)
            let counters = try currentCounters()
            try commit(set, from: counters, to: counters)
        }
    }

    /// Runs an index operation, turning its errors into store errors.
    static func indexing(_ operation: () throws(HNSWError) -> Void) throws {
        do {
            try operation()
        } catch {
            switch error {
            case .dimensionMismatch, .nonFiniteComponent, .zeroVector: throw MemoryStoreError.invalidVector(error.description)
            case .keyNotFound(let key): throw MemoryStoreError.corrupt("entry \(key) has no node in the index")
            case .duplicateKey(let key): throw MemoryStoreError.corrupt("entry id \(key) is already in the index")
            case .vectorSourceUnavailable: throw error  // the store's own failure, not the request's
            default: throw MemoryStoreError.invalidArgument(error.description)
            }
        }
    }
}
