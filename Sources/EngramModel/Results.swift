#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// What writes and reads return: the entry after a write with its audit sequence, what learn
// did, and pages of entries and of audit events. Optional members are left out of the JSON
// when `nil`.

/// The outcome of a write (`POST …/memories`, `PATCH`, `DELETE`, revert, feedback): the entry
/// after it (before it, for a forget) and the audit sequence number of the event recording it.
public struct WriteOutcome: Sendable, Hashable, Codable {
    public var entry: MemoryEntry
    public var sequence: UInt64
    /// `true` when this write created the namespace (a write to an unknown namespace creates
    /// it when the daemon allows it): a mistyped name shows at once. Absent otherwise.
    public var namespaceCreated: Bool?

    public init(entry: MemoryEntry, sequence: UInt64, namespaceCreated: Bool? = nil) {
        self.entry = entry
        self.sequence = sequence
        self.namespaceCreated = namespaceCreated
    }

    enum CodingKeys: String, CodingKey {
        case entry, sequence
        case namespaceCreated = "namespace_created"
    }
}

/// What `POST …/learn` did.
public enum LearnAction: String, Sendable, Hashable, Codable {
    /// No near-duplicate: a new entry was created.
    case created
    /// A near-duplicate was reinforced.
    case reinforced
    /// The nearest near-duplicate is pinned: nothing was written; `entry` is the pinned one.
    case matchedPinned = "matched_pinned"
    /// The fact repeats a claim a person rejected: nothing was stored; `rejected_by` is the
    /// claim, `entry` the entry holding the correction (absent when that entry is gone).
    case rejected
    /// The fact may contradict live entries (`entry.conflicts_with`) and the namespace holds
    /// such facts for review: it was stored `pending`, out of searches and prompts.
    case pending
    /// The fact may contradict live entries and was stored with the link
    /// (`entry.conflicts_with`): searches return it after the entries it conflicts with.
    case conflicting
}

/// `POST …/learn`'s document.
public struct LearnOutcome: Sendable, Hashable, Codable {
    public var action: LearnAction
    /// The created, reinforced or matched entry; for `rejected`, the entry holding the
    /// correction when it is live.
    public var entry: MemoryEntry?
    /// The write's audit sequence; `nil` for `matched_pinned` (nothing was written).
    public var sequence: UInt64?
    /// Cosine similarity to the matched entry or rejected claim; for a created, pending or
    /// conflicting fact, to the nearest live entry (`nil` when there was none).
    public var similarity: Double?
    /// `true` when this write created the namespace; absent otherwise.
    public var namespaceCreated: Bool?
    /// For `rejected`: the claim the fact repeats.
    public var rejectedBy: RejectedClaim?

    public init(action: LearnAction, entry: MemoryEntry?, sequence: UInt64?, similarity: Double?,
                namespaceCreated: Bool? = nil, rejectedBy: RejectedClaim? = nil) {
        self.action = action
        self.entry = entry
        self.sequence = sequence
        self.similarity = similarity
        self.namespaceCreated = namespaceCreated
        self.rejectedBy = rejectedBy
    }

    enum CodingKeys: String, CodingKey {
        case action, entry, sequence, similarity
        case namespaceCreated = "namespace_created"
        case rejectedBy = "rejected_by"
    }
}

/// `GET …/memories`: a page of entries in id (creation) order.
public struct EntryList: Sendable, Hashable, Codable {
    public var entries: [MemoryEntry]
    /// Pass as `after` for the next page; `nil` on the last page.
    public var nextCursor: UInt64?
    /// Records of the page's range that could not be read, skipped; `nil` when none.
    public var damaged: [DamagedRecord]?

    public init(entries: [MemoryEntry], nextCursor: UInt64?, damaged: [DamagedRecord]? = nil) {
        self.entries = entries
        self.nextCursor = nextCursor
        self.damaged = damaged
    }

    enum CodingKeys: String, CodingKey {
        case entries, damaged
        case nextCursor = "next_cursor"
    }
}

/// `GET /v1/audit` and `…/history`: a page of events in sequence order.
public struct AuditPage: Sendable, Hashable, Codable {
    public var events: [AuditEvent]
    /// Pass as `after` for the next page; `nil` when there is none.
    public var nextCursor: UInt64?

    public init(events: [AuditEvent], nextCursor: UInt64?) {
        self.events = events
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case events
        case nextCursor = "next_cursor"
    }
}

/// One fact under review: a pending or conflicting entry and the live entries it may
/// contradict (those still there).
public struct ReviewItem: Sendable, Hashable, Codable {
    public var entry: MemoryEntry
    public var conflicts: [MemoryEntry]

    public init(entry: MemoryEntry, conflicts: [MemoryEntry]) {
        self.entry = entry
        self.conflicts = conflicts
    }
}

/// `GET …/review`: facts under review in id order.
public struct ReviewPage: Sendable, Hashable, Codable {
    public var items: [ReviewItem]
    /// Pass as `after` for the next page; `nil` on the last page.
    public var nextCursor: UInt64?

    public init(items: [ReviewItem], nextCursor: UInt64?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }
}

/// How `GET …/memories` orders a filtered listing.
public enum ListOrder: String, Sendable, Hashable, Codable, CaseIterable {
    /// By id (creation order); the cursor is the last id.
    case id
    /// Most recently updated first.
    case updated
    /// Most confident first.
    case confidence
    /// Most used first.
    case use
}
