#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HNSW
import LMDB
import VectorMath

/// One exported entry to import: its id (kept), every field, and its vector.
public struct ImportItem: Sendable, Hashable {
    public var id: UInt64
    public var draft: MemoryDraft
    public var vector: [Float]
    /// The rejected claims the entry holds (``RejectedClaim/entryID`` is taken from `id`).
    public var claims: [(claim: RejectedClaim, vector: [Float])]

    public init(id: UInt64, draft: MemoryDraft, vector: [Float], claims: [(claim: RejectedClaim, vector: [Float])] = []) {
        self.id = id
        self.draft = draft
        self.vector = vector
        self.claims = claims
    }

    public static func == (a: ImportItem, b: ImportItem) -> Bool {
        a.id == b.id && a.draft == b.draft && a.vector == b.vector && a.claims.count == b.claims.count
            && zip(a.claims, b.claims).allSatisfy { $0.claim == $1.claim && $0.vector == $1.vector }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(draft)
        hasher.combine(vector)
    }
}

/// What an import did with one item.
public struct ImportOutcome: Sendable, Hashable {
    public enum Status: String, Sendable, Codable {
        /// Stored under its id.
        case created
        /// The entry with this id already holds exactly this content: nothing to do (so
        /// importing the same file twice changes nothing).
        case unchanged
        /// The id is taken by different content, here or in another namespace.
        case conflict
        /// The item itself is invalid (text, metadata, vector…).
        case invalid
    }

    public var id: UInt64
    public var status: Status
    /// Why, for `conflict` and `invalid`.
    public var message: String?

    public init(id: UInt64, status: Status, message: String? = nil) {
        self.id = id
        self.status = status
        self.message = message
    }
}

/// The result of one import call.
public struct ImportReport: Sendable, Hashable {
    /// One per item, in order.
    public var outcomes: [ImportOutcome]
    /// The sequence of the last `created` event, `nil` when nothing was created.
    public var sequence: UInt64?
    /// Orphaned claims stored, when the import carried some.
    public var claims: Int?

    public init(outcomes: [ImportOutcome], sequence: UInt64?, claims: Int? = nil) {
        self.outcomes = outcomes
        self.sequence = sequence
        self.claims = claims
    }
}

/// A page of entries with their vectors, for export; the last page also carries the claims
/// whose holders are gone (``MemoryStore/orphanedClaims(namespace:)``).
public struct VectorEntryPage: Sendable {
    public var orphanedClaims: [(claim: RejectedClaim, vector: [Float])] = []
    /// Each entry with its vector and the rejected claims it holds (with theirs).
    public var entries: [(entry: MemoryEntry, vector: [Float], claims: [(claim: RejectedClaim, vector: [Float])])]
    public var nextCursor: UInt64?
    /// Records of this page's range that could not be read (entry or vector damaged).
    public var damaged: [DamagedRecord] = []
}

/// Export and import: entries move between stores with their ids, every field and vectors.
extension MemoryStore {
    /// A page of `namespace`'s entries with their stored vectors, in id order, after `after`.
    /// O(log n + limit·dimension), one read transaction.
    public func exportPage(namespace name: String, after: UInt64 = 0, limit: Int = 100) throws -> VectorEntryPage {
        guard limit >= 1 else { throw MemoryStoreError.invalidArgument("limit must be at least 1") }
        let ns = try handle(name)
        var result = try env.read { txn in
            let page = try readEntryPage(txn, ns, after: after, limit: limit) { entry in
                (entry: entry, vector: try readVector(txn, ns, entry),
                 claims: try readClaims(txn, ns, owner: entry.id).map { (claim: $0.claim, vector: $0.vector) })
            }
            return VectorEntryPage(entries: page.items, nextCursor: page.more ? page.lastID : nil, damaged: page.damaged)
        }
        if result.nextCursor == nil { result.orphanedClaims = try orphanedClaims(namespace: name) }
        return result
    }

    /// Imports `items` into `namespace`, keeping their ids, in one transaction.
    ///
    /// Each item is `created` (with a `created` audit event carrying `context`), `unchanged`
    /// (an entry with its id already holds the same fields and vector: re-importing a file is
    /// idempotent), `conflict` (the id holds other content, here, or has history in another
    /// namespace: ids are global), or `invalid`. Only `created` items change anything; the
    /// others are reported and skipped, so one bad line does not stop an import. The entry id
    /// counter moves past the largest id created, so new entries never reuse an imported id.
    ///
    /// - Throws: `namespaceNotFound`; `invalidArgument` for more than 10,000 items; storage errors
    ///   from the commit (then nothing was imported).
    /// - Complexity: one HNSW insertion per created item, one commit.
    public func importEntries(_ items: [ImportItem], namespace name: String, context: AuditContext) throws -> ImportReport {
        guard items.count <= 10_000 else { throw MemoryStoreError.invalidArgument("at most 10000 entries per import call") }
        guard !items.isEmpty else { return ImportReport(outcomes: [], sequence: nil) }
        return try exclusive {
            let ns = try indexedHandle(name)
            var outcomes: [ImportOutcome] = []
            var toCreate: [Int] = []
            var seen = Set<UInt64>()
            try env.read { txn in
                for (offset, item) in items.enumerated() {
                    outcomes.append(try classify(item, in: ns, txn: txn, duplicateInCall: !seen.insert(item.id).inserted))
                    if outcomes[offset].status == .created { toCreate.append(offset) }
                }
            }
            guard !toCreate.isEmpty else { return ImportReport(outcomes: outcomes, sequence: nil) }
            let counters = try currentCounters()
            var next = try counters.advanced(events: toCreate.count)
            // Imported ids are at most 2^53 (`classify`), so one past the largest is far below the limit.
            next.nextEntryID = max(next.nextEntryID, (toCreate.map { items[$0].id }.max() ?? 0) + 1)
            let sequence = try ns.index.write { batch -> UInt64 in
                for offset in toCreate {
                    let item = items[offset]
                    try Self.indexing { () throws(HNSWError) in try batch.insert(item.vector, key: item.id) }
                }
                let slots = batch.delta().liveSlots
                var set = WriteSet(dbs)
                var lexical: [LexicalChange] = []
                lexical.reserveCapacity(toCreate.count)
                for (n, offset) in toCreate.enumerated() {
                    let item = items[offset]
                    guard let slot = slots[item.id] else { throw MemoryStoreError.corrupt("index returned no slot for entry \(item.id)") }
                    let entry = MemoryEntry(id: item.id, namespace: name, slot: slot, draft: item.draft)
                    try set.putEntry(entry, namespace: ns.id, new: true)
                    try set.appendAudit(AuditEvent(sequence: counters.nextSequence + UInt64(n), kind: .created, time: context.time,
                                                   actor: context.actor, namespace: name, entryID: item.id, before: nil,
                                                   after: entry, reason: context.reason))
                    lexical.append(LexicalChange(key: item.id, document: ns.lexical.document(of: entry.text)))
                    // The claims arrive with this `created` event: its sequence, ordinals in order.
                    for (ordinal, (claim, vector)) in item.claims.enumerated() {
                        var held = claim
                        held.entryID = item.id
                        held.sequence = counters.nextSequence + UInt64(n)
                        try set.putClaim(held, vector: normalizedLikeTheIndex(vector, ns.config.metric), namespace: ns.id,
                                         ordinal: UInt32(ordinal))
                    }
                }
                set.addGraphDelta(batch.delta(), namespace: ns.id)
                addLexical(lexical, to: ns, set: &set)
                try commit(set, from: counters, to: next)
                ns.lexical.apply(lexical)
                return next.nextSequence - 1
            }
            return ImportReport(outcomes: outcomes, sequence: sequence)
        }
    }

    /// Decides what to do with one import item. Precondition: `writeLock` held.
    private func classify(_ item: ImportItem, in ns: NamespaceHandle, txn: Transaction, duplicateInCall: Bool) throws -> ImportOutcome {
        do {
            // At most 2^53, like every count an entry carries: the id counter moves past the
            // largest imported id, so a file with an id near 2^63 would use up the id space
            // and leave every later write refused.
            guard (1...MemoryStore.maxCount).contains(item.id) else {
                throw MemoryStoreError.invalidArgument("id must be between 1 and 2^53, got \(item.id)")
            }
            try Validation.draft(item.draft)
            try Validation.vector(item.vector, for: ns.config)
            guard item.claims.count <= 10_000 else { throw MemoryStoreError.invalidArgument("more than 10000 rejected claims") }
            for (claim, vector) in item.claims {
                try Validation.claim(claim)
                try Validation.vector(vector, for: ns.config)
            }
        } catch let error as MemoryStoreError {
            return ImportOutcome(id: item.id, status: .invalid, message: error.description)
        }
        if duplicateInCall {
            return ImportOutcome(id: item.id, status: .conflict, message: "id \(item.id) appears twice in this import")
        }
        if let existing = try readEntry(txn, ns, item.id) {
            let stored = try readVector(txn, ns, existing)
            var differing = Self.differences(existing, MemoryEntry(id: item.id, namespace: ns.config.name, slot: existing.slot,
                                                                  draft: item.draft))
            if !Self.same(stored, normalizedLikeTheIndex(item.vector, ns.config.metric)) { differing.append("vector") }
            guard differing.isEmpty else {
                return ImportOutcome(id: item.id, status: .conflict,
                                     message: "entry \(item.id) exists in \"\(ns.config.name)\" with another "
                                         + differing.joined(separator: ", ") + " (edit or forget it first)")
            }
            return ImportOutcome(id: item.id, status: .unchanged)
        }
        // Ids are global: one with history in another namespace belongs to that namespace.
        var elsewhere: String?
        try txn.forEach(in: dbs.auditByEntry, range: .prefix(UInt64Key(item.id).bytes)) { key, _ in
            guard let sequence = UInt64(bigEndianBytes: key, at: 8), key.count == 16,
                  let bytes = try txn.get(Keys.audit(sequence), in: dbs.audit) else { return .continue }
            let event = try RecordCodec.decode(AuditEvent.self, from: bytes, what: "audit event \(sequence)")
            if event.namespace != ns.config.name { elsewhere = event.namespace }
            return .stop
        }
        if let elsewhere {
            return ImportOutcome(id: item.id, status: .conflict, message: "id \(item.id) belongs to namespace \"\(elsewhere)\"")
        }
        return ImportOutcome(id: item.id, status: .created)
    }

    /// The fields in which two entries differ (id, namespace and slot aside), times compared to
    /// within 5 ms: exports write times in milliseconds, and Foundation's ISO 8601 formatter
    /// has been seen to land up to 2.7 ms below the stored time, so an entry exported and
    /// imported back is still "the same". (Two real edits of one entry within 5 ms with no
    /// other change are not told apart by time alone; their versions differ.)
    static func differences(_ a: MemoryEntry, _ b: MemoryEntry) -> [String] {
        func close(_ x: Date?, _ y: Date?) -> Bool {
            switch (x, y) {
            case (nil, nil): return true
            case let (x?, y?): return abs(x.timeIntervalSince(y)) < 0.005
            default: return false
            }
        }
        var fields: [String] = []
        if a.text != b.text { fields.append("text") }
        if a.tags != b.tags { fields.append("tags") }
        if a.metadata != b.metadata { fields.append("metadata") }
        if a.source != b.source { fields.append("source") }
        if a.confidence != b.confidence { fields.append("confidence") }
        if a.evidence != b.evidence { fields.append("evidence") }
        if a.pinned != b.pinned { fields.append("pinned") }
        if !close(a.createdAt, b.createdAt) { fields.append("created_at") }
        if !close(a.updatedAt, b.updatedAt) { fields.append("updated_at") }
        if !close(a.lastUsedAt, b.lastUsedAt) { fields.append("last_used_at") }
        if a.useCount != b.useCount { fields.append("use_count") }
        if a.version != b.version { fields.append("version") }
        if !close(a.expiresAt, b.expiresAt) { fields.append("expires_at") }
        if !close(a.occurredAt, b.occurredAt) { fields.append("occurred_at") }
        if !close(a.validFrom, b.validFrom) { fields.append("valid_from") }
        if !close(a.validTo, b.validTo) { fields.append("valid_to") }
        if a.thread != b.thread { fields.append("thread") }
        if a.position != b.position { fields.append("position") }
        if a.pending != b.pending { fields.append("pending") }
        if a.conflictsWith != b.conflictsWith { fields.append("conflicts_with") }
        if a.learned != b.learned { fields.append("learned") }
        return fields
    }

    /// Whether two vectors are the same up to the rounding of normalising a normalised vector
    /// again (an import's vector against the stored one).
    static func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 }
    }

    /// `vector` as the index stores it (unit length under cosine), for comparisons.
    func normalizedLikeTheIndex(_ vector: [Float], _ metric: Metric) -> [Float] {
        guard metric.normalizesVectors else { return vector }
        var copy = vector
        _ = copy.withUnsafeMutableBufferPointer { Kernels.normalize($0.baseAddress!, count: $0.count) }
        return copy
    }
}
