#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Why a claim was rejected.
public enum RejectionCause: String, Sendable, Hashable, Codable, CaseIterable {
    /// A person edited the entry's text: the old text is the rejected claim.
    case corrected
    /// A person forgot (soft-deleted) the entry.
    case forgotten
    /// A person marked the entry contradicted.
    case contradicted
    /// Review rejected a pending or conflicting learned fact.
    case reviewed
}

/// A piece of knowledge a person turned away, kept so that the learning loop cannot bring it
/// back: `learn` refuses a fact whose embedding is as close to a rejected claim as the
/// namespace's reinforce threshold (and at least as close as to any live entry).
///
/// A claim belongs to the entry that holds the correction (`entryID`): the corrected entry,
/// or for a rejected review, the entry the fact conflicted with. The store keeps its vector
/// beside it, writes it in the transaction of the change that rejected it, and removes it
/// with that entry's hard delete.
public struct RejectedClaim: Sendable, Hashable, Codable {
    /// The entry holding the correction.
    public var entryID: UInt64
    /// The audit sequence of the event that rejected it; for a claim brought in by an import,
    /// the sequence of its holder's `created` event in this store. Orders an entry's claims.
    public var sequence: UInt64
    /// The rejected text.
    public var text: String
    public var cause: RejectionCause
    /// The entry whose text it was (the corrected entry itself, or a rejected pending fact).
    public var fromEntry: UInt64
    public var actor: String
    public var reason: String?
    public var rejectedAt: Date

    public init(entryID: UInt64, sequence: UInt64, text: String, cause: RejectionCause, fromEntry: UInt64, actor: String,
                reason: String?, rejectedAt: Date) {
        self.entryID = entryID
        self.sequence = sequence
        self.text = text
        self.cause = cause
        self.fromEntry = fromEntry
        self.actor = actor
        self.reason = reason
        self.rejectedAt = rejectedAt
    }

    enum CodingKeys: String, CodingKey {
        case sequence, text, cause, actor, reason
        case entryID = "entry_id"
        case fromEntry = "from_entry"
        case rejectedAt = "rejected_at"
    }
}

/// `GET …/memories/{id}/claims`: the claims an entry holds, oldest first.
public struct RejectedClaimList: Sendable, Hashable, Codable {
    public var claims: [RejectedClaim]

    public init(claims: [RejectedClaim]) { self.claims = claims }
}
