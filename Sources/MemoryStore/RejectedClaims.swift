#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LMDB
import VectorMath

/// A rejected claim's record: the vector its text had in the index (`VectorCodec`: the
/// namespace's dimension × float32 and a CRC-32C, first, so a scan compares vectors without
/// decoding JSON), then the claim (`RecordCodec` envelope).
enum ClaimCodec {
    static func encode(_ claim: RejectedClaim, vector: [Float]) throws -> [UInt8] {
        VectorCodec.encode(vector) + (try RecordCodec.encode(claim))
    }

    /// The vector part of a record, checked. - Throws: `corrupt`.
    static func vector(_ raw: UnsafeRawBufferPointer, dimension: Int, what: @autoclosure () -> String) throws -> [Float] {
        let length = dimension * 4 + 4
        guard raw.count > length else { throw MemoryStoreError.corrupt("\(what()): a record of \(raw.count) bytes") }
        return try VectorCodec.decode(UnsafeRawBufferPointer(rebasing: raw[0..<length]), dimension: dimension, what: what())
    }

    /// The claim part of a record. - Throws: `corrupt`.
    static func claim(_ raw: UnsafeRawBufferPointer, dimension: Int, what: @autoclosure () -> String) throws -> RejectedClaim {
        let length = dimension * 4 + 4
        guard raw.count > length else { throw MemoryStoreError.corrupt("\(what()): a record of \(raw.count) bytes") }
        return try RecordCodec.decode(RejectedClaim.self, from: Array(raw[length...]), what: what())
    }
}

extension Keys {
    /// `rejected_claims`: namespace id + holder entry id + sequence + ordinal (24 bytes). A
    /// claim written by an event has ordinal 0 under that event's sequence; the claims an
    /// import brings in share the sequence of the holder's `created` event, ordinals 0, 1, …
    /// (their sequences in the exporting store could meet this store's later events).
    static func claim(_ ns: UInt32, _ owner: UInt64, _ sequence: UInt64, ordinal: UInt32 = 0) -> [UInt8] {
        var key = entry(ns, owner)
        key.appendBigEndian(sequence)
        key.appendBigEndian(ordinal)
        return key
    }

    static let claimKeyLength = 24
}

extension WriteSet {
    mutating func putClaim(_ claim: RejectedClaim, vector: [Float], namespace ns: UInt32, ordinal: UInt32 = 0) throws {
        put(try ClaimCodec.encode(claim, vector: vector), key: Keys.claim(ns, claim.entryID, claim.sequence, ordinal: ordinal),
            in: dbs.rejectedClaims, flags: .noOverwrite)
    }
}

/// Rejected claims (see ``RejectedClaim``): written by the entry writes that reject them
/// (``update(namespace:id:kind:vector:rejecting:context:_:)``, ``delete(namespace:id:hard:kind:rejecting:claimOwner:context:)``),
/// read here.
extension MemoryStore {
    /// Every rejected claim of `namespace` with its vector, in owner-entry then sequence
    /// order. O(claims · dimension), one read transaction.
    public func rejectedClaims(namespace name: String) throws -> [(claim: RejectedClaim, vector: [Float])] {
        let ns = try handle(name)
        return try env.read { txn in try readClaims(txn, ns, owner: nil).map { ($0.claim, $0.vector) } }
    }

    /// The claims entry `id` holds, oldest first. O(log n + its claims).
    public func rejectedClaims(namespace name: String, entryID id: UInt64) throws -> [RejectedClaim] {
        let ns = try handle(name)
        return try env.read { txn in try readClaims(txn, ns, owner: id).map(\.claim) }
    }

    /// Records that `learn` refused `text` because it repeats a claim held by entry `owner`:
    /// one `refused` event (the entry is not changed). - Returns: the event's sequence.
    @discardableResult
    public func recordRefusal(namespace name: String, owner: UInt64, text: String, context: AuditContext) throws -> UInt64 {
        try exclusive {
            let ns = try handle(name)
            let counters = try currentCounters()
            let next = try counters.advanced(events: 1)
            var set = WriteSet(dbs)
            try set.appendAudit(AuditEvent(sequence: counters.nextSequence, kind: .refused, time: context.time,
                                           actor: context.actor, namespace: ns.config.name, entryID: owner, before: nil,
                                           after: nil, reason: context.reason, claim: text))
            try commit(set, from: counters, to: next)
            return counters.nextSequence
        }
    }

    /// The rejected claim of `namespace` most similar (cosine) to `vector`, with that
    /// similarity; `nil` when the namespace holds none. Only the best claim's JSON is decoded.
    /// O(claims · dimension), one read transaction.
    public func nearestRejectedClaim(namespace name: String, to vector: [Float]) throws -> (claim: RejectedClaim, similarity: Double)? {
        let ns = try handle(name)
        let dimension = ns.config.dimension
        guard vector.count == dimension else { throw MemoryStoreError.invalidVector("dimension \(vector.count), expected \(dimension)") }
        let queryNorm = Double(Kernels.dot(vector, vector)).squareRoot()
        guard queryNorm > 0 else { return nil }
        return try env.read { txn in
            var best: (key: [UInt8], similarity: Double)?
            try txn.forEach(in: dbs.rejectedClaims, range: .prefix(Keys.namespace(ns.id))) { key, value in
                let stored = try ClaimCodec.vector(value, dimension: dimension, what: "rejected claim of \"\(name)\"")
                let norm = Double(Kernels.dot(stored, stored)).squareRoot()
                let similarity = norm > 0 ? Double(Kernels.dot(stored, vector)) / (norm * queryNorm) : 0
                if best.map({ similarity > $0.similarity }) ?? true { best = (Array(key), similarity) }
                return .continue
            }
            guard let best, let claim = try txn.withValue(forKey: best.key, in: dbs.rejectedClaims, {
                try ClaimCodec.claim($0, dimension: dimension, what: "rejected claim of \"\(name)\"")
            }) else { return nil }
            return (claim, best.similarity)
        }
    }

    /// The claims of `ns` (of one owner, or all), decoded. A damaged record is an error: a
    /// claim that cannot be read cannot protect a correction, and `verify` names it.
    func readClaims(_ txn: Transaction, _ ns: NamespaceHandle, owner: UInt64?) throws -> [(key: [UInt8], claim: RejectedClaim, vector: [Float])] {
        let prefix = owner.map { Keys.entry(ns.id, $0) } ?? Keys.namespace(ns.id)
        let dimension = ns.config.dimension
        var claims: [(key: [UInt8], claim: RejectedClaim, vector: [Float])] = []
        try txn.forEach(in: dbs.rejectedClaims, range: .prefix(prefix)) { key, value in
            let what = "rejected claim \(key.count == Keys.claimKeyLength ? UInt64(bigEndianBytes: key, at: 12) ?? 0 : 0) of \"\(ns.config.name)\""
            claims.append((Array(key), try ClaimCodec.claim(value, dimension: dimension, what: what),
                           try ClaimCodec.vector(value, dimension: dimension, what: what)))
            return .continue
        }
        return claims
    }
}

/// Claims whose holder is gone — a forgotten entry's own claim, a review rejection whose
/// conflict was forgotten too — travel in exports on their own, so a migration keeps them.
extension MemoryStore {
    /// The claims of `namespace` held by an id with no entry, with their vectors, in holder
    /// then key order. O(claims) decodes plus one lookup per holder.
    public func orphanedClaims(namespace name: String) throws -> [(claim: RejectedClaim, vector: [Float])] {
        let ns = try handle(name)
        return try env.read { txn in
            var holders: [UInt64: Bool] = [:]
            return try readClaims(txn, ns, owner: nil).filter { item in
                if let live = holders[item.claim.entryID] { return !live }
                let live = try txn.get(Keys.entry(ns.id, item.claim.entryID), in: dbs.entries) != nil
                holders[item.claim.entryID] = live
                return !live
            }.map { ($0.claim, $0.vector) }
        }
    }

    /// Stores exported orphaned claims (see ``orphanedClaims(namespace:)``) under their holders'
    /// ids, in one transaction: each under sequence 0 (no event of this store rejected it) and
    /// the next free ordinal of its holder, its `sequence` set to 0. A claim whose holder already
    /// holds one of the same text is skipped, so importing a file twice adds nothing. The entry
    /// id counter moves past every holder, so no new entry ever takes over their claims.
    /// - Returns: how many claims were stored.
    /// - Throws: `invalidArgument` for a holder id outside 1…2^53, a bad text, actor, reason or
    ///   vector, or more than 10,000 claims (nothing is stored then).
    @discardableResult
    public func importOrphanedClaims(_ claims: [(claim: RejectedClaim, vector: [Float])], namespace name: String) throws -> Int {
        guard claims.count <= 10_000 else { throw MemoryStoreError.invalidArgument("at most 10000 rejected claims per import call") }
        guard !claims.isEmpty else { return 0 }
        return try exclusive {
            let ns = try handle(name)
            for (offset, (claim, vector)) in claims.enumerated() {
                do {
                    guard (1...MemoryStore.maxCount).contains(claim.entryID) else {
                        throw MemoryStoreError.invalidArgument("entry_id must be between 1 and 2^53, got \(claim.entryID)")
                    }
                    try Validation.claim(claim)
                    try Validation.vector(vector, for: ns.config)
                } catch let error as MemoryStoreError {
                    throw error.locating("claim \(offset)")
                }
            }
            let counters = try currentCounters()
            var next = counters
            next.nextEntryID = max(next.nextEntryID, (claims.map(\.claim.entryID).max() ?? 0) + 1)
            var set = WriteSet(dbs)
            var stored = 0
            try env.read { txn in
                var held: [UInt64: (texts: Set<String>, ordinal: UInt32)] = [:]
                for (claim, vector) in claims {
                    if held[claim.entryID] == nil {
                        let existing = try readClaims(txn, ns, owner: claim.entryID)
                        var prefix = Keys.entry(ns.id, claim.entryID)
                        prefix.appendBigEndian(UInt64(0))
                        let used = try txn.keys(in: dbs.rejectedClaims, range: .prefix(prefix)).count
                        held[claim.entryID] = (Set(existing.map(\.claim.text)), UInt32(clamping: used))
                    }
                    guard var holder = held[claim.entryID], !holder.texts.contains(claim.text) else { continue }
                    var orphan = claim
                    orphan.sequence = 0
                    try set.putClaim(orphan, vector: normalizedLikeTheIndex(vector, ns.config.metric), namespace: ns.id,
                                     ordinal: holder.ordinal)
                    holder.texts.insert(claim.text)
                    holder.ordinal = holder.ordinal &+ 1
                    held[claim.entryID] = holder
                    stored += 1
                }
            }
            guard stored > 0 || next != counters else { return 0 }
            try commit(set, from: counters, to: next)
            return stored
        }
    }
}
