#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import EngramJSON

// What a write asks for: the engine's requests, and (with the audit fields, see EngramAPI's
// `Audited`) the bodies of `POST …/memories`, `…/learn` and `PATCH …/memories/{id}`.

/// `remember` and `learn`: a new piece of knowledge.
///
/// Either `text` is embedded by the engine's embedder, or the caller sends `vector` (which
/// must have the namespace's dimension); `text` is required either way (it is the knowledge).
public struct RememberRequest: Sendable, Hashable {
    /// The knowledge: non-empty, at most 32 KiB of UTF-8.
    public var text: String
    /// The caller's embedding of `text`; `nil`: the engine embeds it.
    public var vector: [Float]?
    /// Each 1–128 bytes, no control characters; at most 64; duplicates are dropped.
    public var tags: [String]
    /// A JSON object of at most 16 KiB encoded.
    public var metadata: [String: JSONValue]
    /// Who taught it; 1–128 bytes. Default `user`.
    public var source: String
    /// 0…1; `nil`: the configured default.
    public var confidence: Double?
    /// Never changed by `learn`.
    public var pinned: Bool
    /// Must be in the future; the entry disappears from every read then and is purged later.
    public var expiresAt: Date?
    /// When it happened or was said; `nil`: now.
    public var occurredAt: Date?
    /// The interval in which it holds (either end open).
    public var validFrom: Date?
    public var validTo: Date?
    /// Its thread and place in it (see ``MemoryEntry/thread``).
    public var thread: String?
    public var position: Int64?

    public init(text: String, vector: [Float]? = nil, tags: [String] = [], metadata: [String: JSONValue] = [:],
                source: String = "user", confidence: Double? = nil, pinned: Bool = false, expiresAt: Date? = nil,
                occurredAt: Date? = nil, validFrom: Date? = nil, validTo: Date? = nil, thread: String? = nil,
                position: Int64? = nil) {
        self.text = text
        self.vector = vector
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.pinned = pinned
        self.expiresAt = expiresAt
        self.occurredAt = occurredAt
        self.validFrom = validFrom
        self.validTo = validTo
        self.thread = thread
        self.position = position
    }
}

/// `edit`: the fields to change (`nil` leaves a field as it is). A new `text` is re-embedded
/// (or indexed under `vector` when the caller sends one) and re-indexed in the same write.
public struct EditRequest: Sendable, Hashable {
    public var text: String?
    /// Only with `text`: the caller's embedding of the new text.
    public var vector: [Float]?
    /// Replaces the tags.
    public var tags: [String]?
    /// Replaces the metadata object.
    public var metadata: [String: JSONValue]?
    public var source: String?
    /// Sets the confidence explicitly (later evidence moves it from there; see ``ConfidenceModel``).
    public var confidence: Double?
    public var pinned: Bool?
    /// Sets a (future) expiry.
    public var expiresAt: Date?
    /// Removes the expiry (cannot be combined with `expiresAt`).
    public var clearExpiry: Bool?
    public var occurredAt: Date?
    /// Sets either end of the validity interval.
    public var validFrom: Date?
    public var validTo: Date?
    /// Removes the validity interval (cannot be combined with `validFrom`/`validTo`).
    public var clearValidity: Bool?
    public var thread: String?
    public var position: Int64?

    public init(text: String? = nil, vector: [Float]? = nil, tags: [String]? = nil, metadata: [String: JSONValue]? = nil,
                source: String? = nil, confidence: Double? = nil, pinned: Bool? = nil, expiresAt: Date? = nil,
                clearExpiry: Bool? = nil, occurredAt: Date? = nil, validFrom: Date? = nil, validTo: Date? = nil,
                clearValidity: Bool? = nil, thread: String? = nil, position: Int64? = nil) {
        self.text = text
        self.vector = vector
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.pinned = pinned
        self.expiresAt = expiresAt
        self.clearExpiry = clearExpiry
        self.occurredAt = occurredAt
        self.validFrom = validFrom
        self.validTo = validTo
        self.clearValidity = clearValidity
        self.thread = thread
        self.position = position
    }
}

/// How a batch write treats its items: `none` creates each as a new entry; `learn` runs each
/// through learn's rules (reinforce a near-duplicate, hold back a conflict, refuse a
/// rejected claim), the batch's earlier items included.
public enum BatchDedupe: String, Sendable, Hashable, Codable, CaseIterable {
    case none
    case learn
}
