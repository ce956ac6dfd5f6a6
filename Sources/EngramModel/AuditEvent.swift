#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What an audit event records.
public enum AuditKind: String, Sendable, Hashable, Codable, CaseIterable {
    case created, updated, reinforced, feedback, deleted, reverted, expired
    /// A deleted (not hard-deleted) entry brought back by a revert, under its id.
    case restored
    /// A pending or conflicting learned fact accepted in review: it joins the live knowledge.
    case accepted
    /// A pending or conflicting learned fact rejected in review: the entry is removed and its
    /// text becomes a rejected claim of the entry it conflicted with.
    case rejected
    /// `learn` refused a fact that repeats a rejected claim; the event names the entry that
    /// holds the correction, `claim` the refused text. Nothing else changes.
    case refused

    /// Whether an event of this kind changed its entry (every kind but `refused`, which only
    /// records what learn turned away): the entry is what its last such event left.
    public var changesEntry: Bool { self != .refused }

    /// Kinds that `MemoryStore.update` records.
    public static let updateKinds: Set<AuditKind> = [.updated, .reinforced, .feedback, .reverted, .accepted]
    /// Kinds that `MemoryStore.delete` records.
    public static let deleteKinds: Set<AuditKind> = [.deleted, .expired, .rejected]
}

/// One change, in commit order. `sequence` is global and gap-free: event n+1 committed after
/// event n, and every number from 1 to the last exists.
public struct AuditEvent: Sendable, Hashable, Codable {
    public var sequence: UInt64
    public var kind: AuditKind
    public var time: Date
    /// Who made the change (API key name, `engine`, `cli:<user>`…).
    public var actor: String
    public var namespace: String
    public var entryID: UInt64
    /// The entry before the change (`nil` for `created`).
    public var before: MemoryEntry?
    /// The entry after the change (`nil` for `deleted`/`expired`).
    public var after: MemoryEntry?
    public var reason: String?
    /// A claim the event turned away: the text a correction replaced, a forget or
    /// contradiction removed, or review rejected (kept as a rejected claim), or the fact
    /// `learn` refused (`refused`). `nil` for other events.
    public var claim: String?
    /// `true` when a hard delete scrubbed this event (see ``scrubbed()``); JSON `scrubbed`.
    public var scrubMark: Bool?
    /// Written by stores before 2026-12: the SHA-256 of a scrubbed `before.text`. Read so that
    /// such events still count as scrubbed; a scrub now removes it (an unsalted hash of a
    /// short secret gives the secret back).
    public var beforeTextSHA256: String?
    /// The same for `after.text`.
    public var afterTextSHA256: String?

    public init(sequence: UInt64, kind: AuditKind, time: Date, actor: String, namespace: String, entryID: UInt64,
                before: MemoryEntry?, after: MemoryEntry?, reason: String?, claim: String? = nil) {
        self.claim = claim
        self.sequence = sequence
        self.kind = kind
        self.time = time
        self.actor = actor
        self.namespace = namespace
        self.entryID = entryID
        self.before = before
        self.after = after
        self.reason = reason
    }

    /// Whether a hard delete scrubbed this event.
    public var isScrubbed: Bool { scrubMark == true || beforeTextSHA256 != nil || afterTextSHA256 != nil }

    enum CodingKeys: String, CodingKey {
        case sequence, kind, time, actor, namespace, before, after, reason, claim
        case scrubMark = "scrubbed"
        case entryID = "entry_id"
        case beforeTextSHA256 = "before_text_sha256"
        case afterTextSHA256 = "after_text_sha256"
    }
}

/// Which audit events a query returns; every condition given must hold. `nil` members
/// admit every event.
public struct AuditFilter: Sendable, Hashable {
    /// Events recorded for this actor exactly (`uid:1000`, `extraction:gpt-4o`, …).
    public var actor: String?
    /// Events of one of these kinds.
    public var kinds: Set<AuditKind>?
    /// Events of this entry.
    public var entryID: UInt64?
    /// Events at or after this time.
    public var since: Date?
    /// Events at or before this time.
    public var until: Date?

    public init(actor: String? = nil, kinds: Set<AuditKind>? = nil, entryID: UInt64? = nil, since: Date? = nil,
                until: Date? = nil) {
        self.actor = actor
        self.kinds = kinds
        self.entryID = entryID
        self.since = since
        self.until = until
    }

    /// Whether no condition is set.
    public var isEmpty: Bool { actor == nil && kinds == nil && entryID == nil && since == nil && until == nil }

    /// Whether `event` passes every condition. O(1).
    public func admits(_ event: AuditEvent) -> Bool {
        if let actor, event.actor != actor { return false }
        if let kinds, !kinds.contains(event.kind) { return false }
        if let entryID, event.entryID != entryID { return false }
        if let since, event.time < since { return false }
        if let until, event.time > until { return false }
        return true
    }
}
