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
}

/// `POST …/learn`'s document.
public struct LearnOutcome: Sendable, Hashable, Codable {
    public var action: LearnAction
    /// The created, reinforced or matched entry.
    public var entry: MemoryEntry
    /// The write's audit sequence; `nil` for `matched_pinned` (nothing was written).
    public var sequence: UInt64?
    /// Cosine similarity to the matched entry (`nil` when created).
    public var similarity: Double?
    /// `true` when this write created the namespace; absent otherwise.
    public var namespaceCreated: Bool?

    public init(action: LearnAction, entry: MemoryEntry, sequence: UInt64?, similarity: Double?,
                namespaceCreated: Bool? = nil) {
        self.action = action
        self.entry = entry
        self.sequence = sequence
        self.similarity = similarity
        self.namespaceCreated = namespaceCreated
    }

    enum CodingKeys: String, CodingKey {
        case action, entry, sequence, similarity
        case namespaceCreated = "namespace_created"
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
