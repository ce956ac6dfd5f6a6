public import EngramJSON
public import Foundation

// The entry and the documents that carry entries (`MemoryEntry`, `WriteOutcome`,
// `LearnOutcome`, `EntryList`, `AuditEvent`, `AuditPage`), named after the OpenAPI schemas.
// Optional members are left out when `nil`, as the daemon has always written them.

/// The counters behind an entry's confidence.
public struct Evidence: Sendable, Hashable, Codable {
    /// Times the knowledge was taught or reinforced.
    public var support: UInt64
    /// Times something contradicted it.
    public var contradictions: UInt64
    /// "Useful" feedback received.
    public var useful: UInt64
    /// "Not useful" feedback received.
    public var notUseful: UInt64

    public init(support: UInt64 = 1, contradictions: UInt64 = 0, useful: UInt64 = 0, notUseful: UInt64 = 0) {
        self.support = support
        self.contradictions = contradictions
        self.useful = useful
        self.notUseful = notUseful
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case support, contradictions, useful
        case notUseful = "not_useful"
    }
}

/// One memory entry as the API returns it.
public struct MemoryEntry: Sendable, Hashable, Codable {
    public var id: UInt64
    public var namespace: String
    /// The knowledge (UTF-8).
    public var text: String
    public var tags: [String]
    /// A JSON object the client chose.
    public var metadata: [String: JSONValue]
    /// Who taught it: `user`, `agent`, `import`, `extraction:<model>`…
    public var source: String
    /// 0…1, derived by the daemon from ``evidence``.
    public var confidence: Double
    public var evidence: Evidence
    /// Automatic learning may not change or remove it.
    public var pinned: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var lastUsedAt: Date?
    public var useCount: UInt64
    /// 1 on creation, +1 on every change.
    public var version: UInt64
    public var expiresAt: Date?
    /// The index slot holding its vector (changes when the vector does); for operators.
    public var slot: UInt32

    public init(id: UInt64, namespace: String, text: String, tags: [String] = [], metadata: [String: JSONValue] = [:],
                source: String = "user", confidence: Double = 0.5, evidence: Evidence = Evidence(),
                pinned: Bool = false, createdAt: Date, updatedAt: Date? = nil, lastUsedAt: Date? = nil,
                useCount: UInt64 = 0, version: UInt64 = 1, expiresAt: Date? = nil, slot: UInt32 = 0) {
        self.id = id
        self.namespace = namespace
        self.text = text
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.evidence = evidence
        self.pinned = pinned
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.lastUsedAt = lastUsedAt
        self.useCount = useCount
        self.version = version
        self.expiresAt = expiresAt
        self.slot = slot
    }

    enum CodingKeys: String, CodingKey {
        case id, namespace, text, tags, metadata, source, confidence, evidence, pinned, version, slot
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastUsedAt = "last_used_at"
        case useCount = "use_count"
        case expiresAt = "expires_at"
    }
}

/// The outcome of a write (`POST …/memories`, `PATCH`, `DELETE`, revert, feedback): the entry
/// after it (before it, for a forget) and the audit sequence number of the event recording it.
public struct WriteOutcome: Sendable, Hashable, Codable {
    public var entry: MemoryEntry
    public var sequence: UInt64

    public init(entry: MemoryEntry, sequence: UInt64) {
        self.entry = entry
        self.sequence = sequence
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

    public init(action: LearnAction, entry: MemoryEntry, sequence: UInt64?, similarity: Double?) {
        self.action = action
        self.entry = entry
        self.sequence = sequence
        self.similarity = similarity
    }
}

/// A stored record the daemon could not read (failed checksum, undecodable), skipped by a read.
public struct DamagedRecord: Sendable, Hashable, Codable {
    /// The entry id, when the key itself is readable.
    public var id: UInt64?
    public var problem: String

    public init(id: UInt64?, problem: String) {
        self.id = id
        self.problem = problem
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

/// What an audit event records.
public enum AuditKind: String, Sendable, Hashable, Codable, CaseIterable {
    case created, updated, reinforced, feedback, deleted, reverted, expired
}

/// One event of the audit log: who changed which entry, when, why, and the entry before and
/// after.
public struct AuditEvent: Sendable, Hashable, Codable {
    public var sequence: UInt64
    public var kind: AuditKind
    public var time: Date
    public var actor: String
    public var namespace: String
    public var entryID: UInt64
    public var before: MemoryEntry?
    public var after: MemoryEntry?
    public var reason: String?
    /// `true` once a hard delete has cleared the event's text, tags, metadata and source.
    public var scrubbed: Bool?
    /// Written by stores before 2026-12 when scrubbing; kept so such events still read as scrubbed.
    public var beforeTextSHA256: String?
    public var afterTextSHA256: String?

    public init(sequence: UInt64, kind: AuditKind, time: Date, actor: String, namespace: String, entryID: UInt64,
                before: MemoryEntry?, after: MemoryEntry?, reason: String?, scrubbed: Bool? = nil,
                beforeTextSHA256: String? = nil, afterTextSHA256: String? = nil) {
        self.sequence = sequence
        self.kind = kind
        self.time = time
        self.actor = actor
        self.namespace = namespace
        self.entryID = entryID
        self.before = before
        self.after = after
        self.reason = reason
        self.scrubbed = scrubbed
        self.beforeTextSHA256 = beforeTextSHA256
        self.afterTextSHA256 = afterTextSHA256
    }

    /// Whether the event's content was cleared by a hard delete.
    public var isScrubbed: Bool { scrubbed == true || beforeTextSHA256 != nil || afterTextSHA256 != nil }

    enum CodingKeys: String, CodingKey {
        case sequence, kind, time, actor, namespace, before, after, reason, scrubbed
        case entryID = "entry_id"
        case beforeTextSHA256 = "before_text_sha256"
        case afterTextSHA256 = "after_text_sha256"
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
