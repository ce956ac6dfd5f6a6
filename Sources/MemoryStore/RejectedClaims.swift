#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LMDB

/// A rejected claim as the store keeps it: the claim and the vector its text had in the
/// index (so `learn` compares embeddings without embedding old texts again).
struct StoredClaim: Codable {
    var claim: RejectedClaim
    var vector: [Float]
}

extension Keys {
    /// `rejected_claims`: namespace id + owner entry id + sequence.
    static func claim(_ ns: UInt32, _ owner: UInt64, _ sequence: UInt64) -> [UInt8] {
        var key = entry(ns, owner)
        key.appendBigEndian(sequence)
        return key
    }
}

extension WriteSet {
    mutating func putClaim(_ claim: RejectedClaim, vector: [Float], namespace ns: UInt32) throws {
        put(try RecordCodec.encode(StoredClaim(claim: claim, vector: vector)),
            key: Keys.claim(ns, claim.entryID, claim.sequence), in: dbs.rejectedClaims)
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

    /// The claims of `ns` (of one owner, or all), decoded. A damaged record is an error: a
    /// claim that cannot be read cannot protect a correction, and `verify` names it.
    func readClaims(_ txn: Transaction, _ ns: NamespaceHandle, owner: UInt64?) throws -> [(key: [UInt8], claim: RejectedClaim, vector: [Float])] {
        let prefix = owner.map { Keys.entry(ns.id, $0) } ?? Keys.namespace(ns.id)
        var claims: [(key: [UInt8], claim: RejectedClaim, vector: [Float])] = []
        try txn.forEach(in: dbs.rejectedClaims, range: .prefix(prefix)) { key, value in
            let stored = try RecordCodec.decode(StoredClaim.self, from: Array(value),
                                                what: "rejected claim \(key.count == 20 ? UInt64(bigEndianBytes: key, at: 12) ?? 0 : 0) of \"\(ns.config.name)\"")
            guard stored.vector.count == ns.config.dimension else {
                throw MemoryStoreError.corrupt("rejected claim \(stored.claim.sequence) of \"\(ns.config.name)\" has a vector of "
                    + "\(stored.vector.count) components, not \(ns.config.dimension)")
            }
            claims.append((Array(key), stored.claim, stored.vector))
            return .continue
        }
        return claims
    }
}
