#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One logical write to a store, with everything needed to apply it: the after-state of the
/// entry or the draft to create, its vector, and the audit context (actor, time, reason).
///
/// Why a value and not a call: a replicated namespace publishes each write to a log and every
/// node applies it from there (``MemoryStore/perform(_:)``), so what was decided on the node
/// that owns the namespace — the edited fields, the embedding, the event time — must travel
/// whole. Nothing in applying one depends on the applying node's clock or embedder: applied
/// in the same order from the same state, the same operations give the same entries, ids and
/// audit sequences on every node (graph slots and links are the node's own).
public enum StoreOperation: Sendable, Equatable, Codable {
    case createNamespace(NamespaceConfig)
    case deleteNamespace(name: String, context: AuditContext)
    /// Creates entries, in order, in one transaction.
    case insert(namespace: String, items: [DraftWithVector], context: AuditContext)
    case restore(namespace: String, entry: MemoryEntry, vector: [Float], context: AuditContext)
    case update(EntryUpdate)
    case delete(EntryDeletion)
    case recordUse(namespace: String, uses: [EntryUseRecord])
    case recordRefusal(namespace: String, owner: UInt64, text: String, context: AuditContext)
    case importEntries(namespace: String, items: [ImportedEntry], context: AuditContext)
    case importOrphanedClaims(namespace: String, claims: [ClaimWithVector])

    /// The namespace the operation writes.
    public var namespace: String {
        switch self {
        case .createNamespace(let config): config.name
        case .deleteNamespace(let name, _): name
        case .insert(let namespace, _, _), .restore(let namespace, _, _, _), .recordUse(let namespace, _),
             .recordRefusal(let namespace, _, _, _), .importEntries(let namespace, _, _),
             .importOrphanedClaims(let namespace, _):
            namespace
        case .update(let update): update.namespace
        case .delete(let deletion): deletion.namespace
        }
    }
}

/// A draft and the vector it is indexed under.
public struct DraftWithVector: Sendable, Equatable, Codable {
    public var draft: MemoryDraft
    public var vector: [Float]

    public init(draft: MemoryDraft, vector: [Float]) {
        self.draft = draft
        self.vector = vector
    }
}

/// A rejected claim and the vector of its text.
public struct ClaimWithVector: Sendable, Equatable, Codable {
    public var claim: RejectedClaim
    public var vector: [Float]

    public init(claim: RejectedClaim, vector: [Float]) {
        self.claim = claim
        self.vector = vector
    }
}

/// The uses of one entry to add (``MemoryStore/recordUse(namespace:uses:)``).
public struct EntryUseRecord: Sendable, Equatable, Codable {
    public var id: UInt64
    public var count: UInt64
    public var lastUsedAt: Date

    public init(id: UInt64, use: EntryUse) {
        self.id = id
        count = use.count
        lastUsedAt = use.lastUsedAt
    }
}

/// An exported entry to import (``ImportItem`` as a value that can be encoded).
public struct ImportedEntry: Sendable, Equatable, Codable {
    public var id: UInt64
    public var draft: MemoryDraft
    public var vector: [Float]
    public var claims: [ClaimWithVector]

    public init(_ item: ImportItem) {
        id = item.id
        draft = item.draft
        vector = item.vector
        claims = item.claims.map { ClaimWithVector(claim: $0.claim, vector: $0.vector) }
    }

    var item: ImportItem {
        ImportItem(id: id, draft: draft, vector: vector, claims: claims.map { ($0.claim, $0.vector) })
    }
}

/// An entry's new state, decided from version `expectedVersion`: applied only while the
/// entry is still at that version (else `conflict`), so an after-state computed from an
/// older read never overwrites a newer write.
///
/// The store keeps the entry's id, namespace and use statistics (`useCount`, `lastUsedAt`
/// change without a new version) and sets the slot, `version` + 1 and `updatedAt`.
public struct EntryUpdate: Sendable, Equatable, Codable {
    public var namespace: String
    public var id: UInt64
    public var kind: AuditKind
    /// The new text's vector, when the text changed.
    public var vector: [Float]?
    public var rejecting: RejectionCause?
    public var reinstating: Bool
    public var context: AuditContext
    public var expectedVersion: UInt64
    public var after: MemoryEntry

    public init(namespace: String, id: UInt64, kind: AuditKind, vector: [Float]? = nil, rejecting: RejectionCause? = nil,
                reinstating: Bool = false, context: AuditContext, expectedVersion: UInt64, after: MemoryEntry) {
        self.namespace = namespace
        self.id = id
        self.kind = kind
        self.vector = vector
        self.rejecting = rejecting
        self.reinstating = reinstating
        self.context = context
        self.expectedVersion = expectedVersion
        self.after = after
    }
}

/// A delete (``MemoryStore/delete(namespace:id:hard:kind:rejecting:claimOwner:context:)``).
public struct EntryDeletion: Sendable, Equatable, Codable {
    public var namespace: String
    public var id: UInt64
    public var hard: Bool
    public var kind: AuditKind
    public var rejecting: RejectionCause?
    public var claimOwner: UInt64?
    public var context: AuditContext

    public init(namespace: String, id: UInt64, hard: Bool = false, kind: AuditKind = .deleted,
                rejecting: RejectionCause? = nil, claimOwner: UInt64? = nil, context: AuditContext) {
        self.namespace = namespace
        self.id = id
        self.hard = hard
        self.kind = kind
        self.rejecting = rejecting
        self.claimOwner = claimOwner
        self.context = context
    }
}

/// What applying a ``StoreOperation`` returned.
public enum StoreOutcome: Sendable, Equatable {
    case namespace(NamespaceConfig)
    /// The sequence of the namespace's deletion event (`nil`: it held no entries).
    case namespaceDeleted(UInt64?)
    /// Created, restored, updated or deleted entries (a delete gives the entry before).
    case written([WriteResult])
    case count(Int)
    case sequence(UInt64)
    case imported(ImportReport)

    /// The single result of an entry write.
    /// - Throws: `corrupt` when the outcome is of another kind (a programming error).
    public func writeResult() throws -> WriteResult {
        guard case .written(let results) = self, results.count == 1 else {
            throw MemoryStoreError.corrupt("a write returned \(self) where one entry result was expected")
        }
        return results[0]
    }
}
