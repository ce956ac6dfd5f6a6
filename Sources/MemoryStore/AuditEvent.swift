#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What an audit event records.
public enum AuditKind: String, Sendable, Hashable, Codable, CaseIterable {
    case created, updated, reinforced, feedback, deleted, reverted, expired

    /// Kinds that `MemoryStore.update` records.
    public static let updateKinds: Set<AuditKind> = [.updated, .reinforced, .feedback, .reverted]
    /// Kinds that `MemoryStore.delete` records.
    public static let deleteKinds: Set<AuditKind> = [.deleted, .expired]
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
    /// Set when a hard delete scrubbed `before.text`: lower-case hex SHA-256 of the text.
    public var beforeTextSHA256: String?
    /// Set when a hard delete scrubbed `after.text`.
    public var afterTextSHA256: String?

    public init(sequence: UInt64, kind: AuditKind, time: Date, actor: String, namespace: String, entryID: UInt64,
                before: MemoryEntry?, after: MemoryEntry?, reason: String?) {
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

    /// Whether a hard delete scrubbed this event's text.
    public var isScrubbed: Bool { beforeTextSHA256 != nil || afterTextSHA256 != nil }

    /// The event with its entries' text replaced by "" and their hashes kept (idempotent).
    func scrubbed() -> AuditEvent {
        var copy = self
        if var before = copy.before, copy.beforeTextSHA256 == nil {
            copy.beforeTextSHA256 = SHA256.hexDigest(before.text)
            before.text = ""
            copy.before = before
        }
        if var after = copy.after, copy.afterTextSHA256 == nil {
            copy.afterTextSHA256 = SHA256.hexDigest(after.text)
            after.text = ""
            copy.after = after
        }
        return copy
    }

    enum CodingKeys: String, CodingKey {
        case sequence, kind, time, actor, namespace, before, after, reason
        case entryID = "entry_id"
        case beforeTextSHA256 = "before_text_sha256"
        case afterTextSHA256 = "after_text_sha256"
    }
}

/// The who/why/when of a write, recorded in its audit event.
public struct AuditContext: Sendable, Hashable {
    public var actor: String
    public var reason: String?
    public var time: Date

    public init(actor: String, reason: String? = nil, time: Date = Date()) {
        self.actor = actor
        self.reason = reason
        self.time = time
    }
}
