import EngramJSON
import Foundation

// The request documents of the write routes. Each rejects unknown fields when decoded (a
// misspelt field would otherwise silently do nothing); `actor` and `reason` are the audit
// fields every write may carry. Remember and edit requests are EngramModel's, the engine's
// own, given their JSON form here.

/// A write request with the audit fields every write may carry, in one JSON object: the
/// request's members beside `actor` (the application's own user or agent, recorded next to
/// the peer in the audit log) and `reason`. The body of `POST …/memories`, `POST …/learn`
/// (``RememberRequest``) and `PATCH …/memories/{id}` (``EditRequest``). Decoding refuses a
/// member that is neither the request's nor an audit field.
public struct Audited<Request: AuditableRequest>: Sendable, Hashable, Codable {
    public var request: Request
    public var actor: String?
    public var reason: String?

    public init(_ request: Request, actor: String? = nil, reason: String? = nil) {
        self.request = request
        self.actor = actor
        self.reason = reason
    }

    enum AuditKeys: String, CodingKey, CaseIterable { case actor, reason }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowing: Request.memberNames.union(AuditKeys.allCases.map(\.rawValue)))
        request = try Request(from: decoder)
        let c = try decoder.container(keyedBy: AuditKeys.self)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
    }

    public func encode(to encoder: any Encoder) throws {
        try request.encode(to: encoder)
        var c = encoder.container(keyedBy: AuditKeys.self)
        try c.encodeIfPresent(actor, forKey: .actor)
        try c.encodeIfPresent(reason, forKey: .reason)
    }
}

/// A request that travels with the audit fields (see ``Audited``).
public protocol AuditableRequest: Codable, Sendable, Hashable {
    /// The JSON members the request itself reads.
    static var memberNames: Set<String> { get }
}

/// The JSON of ``RememberRequest``. The vector travels as `vector_b64` (little-endian float32,
/// base64) or `vector` (a JSON array); the daemon takes it out of the body before decoding the
/// rest (see ``VectorBodySplitter``), so ``init(from:)`` reads neither.
extension RememberRequest: AuditableRequest {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case text, tags, metadata, source, confidence, pinned, thread, position
        case expiresAt = "expires_at"
        case occurredAt = "occurred_at"
        case validFrom = "valid_from"
        case validTo = "valid_to"
    }

    public static var memberNames: Set<String> { Set(CodingKeys.allCases.map(\.rawValue)) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(text: try c.decode(String.self, forKey: .text), vector: nil,
                  tags: try c.decodeIfPresent([String].self, forKey: .tags) ?? [],
                  metadata: try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata) ?? [:],
                  source: try c.decodeIfPresent(String.self, forKey: .source) ?? "user",
                  confidence: try c.decodeIfPresent(Double.self, forKey: .confidence),
                  pinned: try c.decodeIfPresent(Bool.self, forKey: .pinned) ?? false,
                  expiresAt: try c.decodeIfPresent(Date.self, forKey: .expiresAt),
                  occurredAt: try c.decodeIfPresent(Date.self, forKey: .occurredAt),
                  validFrom: try c.decodeIfPresent(Date.self, forKey: .validFrom),
                  validTo: try c.decodeIfPresent(Date.self, forKey: .validTo),
                  thread: try c.decodeIfPresent(String.self, forKey: .thread),
                  position: try c.decodeIfPresent(Int64.self, forKey: .position))
    }

    /// Every member, the vector as `vector_b64`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(tags, forKey: .tags)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(source, forKey: .source)
        try c.encodeIfPresent(confidence, forKey: .confidence)
        try c.encode(pinned, forKey: .pinned)
        try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encodeIfPresent(occurredAt, forKey: .occurredAt)
        try c.encodeIfPresent(validFrom, forKey: .validFrom)
        try c.encodeIfPresent(validTo, forKey: .validTo)
        try c.encodeIfPresent(thread, forKey: .thread)
        try c.encodeIfPresent(position, forKey: .position)
        try encoder.encodeVectorB64(vector)
    }
}

/// The JSON of ``EditRequest``: the members to change (absent ones stay as they are); the
/// vector is a JSON array here.
extension EditRequest: AuditableRequest {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case text, vector, tags, metadata, source, confidence, pinned, thread, position
        case expiresAt = "expires_at"
        case clearExpiry = "clear_expiry"
        case occurredAt = "occurred_at"
        case validFrom = "valid_from"
        case validTo = "valid_to"
        case clearValidity = "clear_validity"
    }

    public static var memberNames: Set<String> { Set(CodingKeys.allCases.map(\.rawValue)) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(text: try c.decodeIfPresent(String.self, forKey: .text),
                  vector: try c.decodeIfPresent([Float].self, forKey: .vector),
                  tags: try c.decodeIfPresent([String].self, forKey: .tags),
                  metadata: try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata),
                  source: try c.decodeIfPresent(String.self, forKey: .source),
                  confidence: try c.decodeIfPresent(Double.self, forKey: .confidence),
                  pinned: try c.decodeIfPresent(Bool.self, forKey: .pinned),
                  expiresAt: try c.decodeIfPresent(Date.self, forKey: .expiresAt),
                  clearExpiry: try c.decodeIfPresent(Bool.self, forKey: .clearExpiry),
                  occurredAt: try c.decodeIfPresent(Date.self, forKey: .occurredAt),
                  validFrom: try c.decodeIfPresent(Date.self, forKey: .validFrom),
                  validTo: try c.decodeIfPresent(Date.self, forKey: .validTo),
                  clearValidity: try c.decodeIfPresent(Bool.self, forKey: .clearValidity),
                  thread: try c.decodeIfPresent(String.self, forKey: .thread),
                  position: try c.decodeIfPresent(Int64.self, forKey: .position))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(vector, forKey: .vector)
        try c.encodeIfPresent(tags, forKey: .tags)
        try c.encodeIfPresent(metadata, forKey: .metadata)
        try c.encodeIfPresent(source, forKey: .source)
        try c.encodeIfPresent(confidence, forKey: .confidence)
        try c.encodeIfPresent(pinned, forKey: .pinned)
        try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encodeIfPresent(clearExpiry, forKey: .clearExpiry)
        try c.encodeIfPresent(occurredAt, forKey: .occurredAt)
        try c.encodeIfPresent(validFrom, forKey: .validFrom)
        try c.encodeIfPresent(validTo, forKey: .validTo)
        try c.encodeIfPresent(clearValidity, forKey: .clearValidity)
        try c.encodeIfPresent(thread, forKey: .thread)
        try c.encodeIfPresent(position, forKey: .position)
    }
}

/// `POST …/memories/{id}/revert`: back to `version`, optionally with the caller's vector of
/// that version's text.
public struct RevertRequest: Sendable, Hashable, Codable {
    public var version: UInt64
    public var vector: [Float]?
    public var actor: String?
    public var reason: String?

    public init(version: UInt64, vector: [Float]? = nil, actor: String? = nil, reason: String? = nil) {
        self.version = version
        self.vector = vector
        self.actor = actor
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case version, vector, actor, reason }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(UInt64.self, forKey: .version)
        vector = try c.decodeIfPresent([Float].self, forKey: .vector)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
    }
}


/// `POST …/memories/{id}/feedback`.
public struct FeedbackRequest: Sendable, Hashable, Codable {
    public var signal: FeedbackSignal
    public var actor: String?
    public var reason: String?

    public init(signal: FeedbackSignal, actor: String? = nil, reason: String? = nil) {
        self.signal = signal
        self.actor = actor
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case signal, actor, reason }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        signal = try c.decode(FeedbackSignal.self, forKey: .signal)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
    }
}

/// `POST …/review/{id}/accept` and `…/reject`: who decided and why (both optional; an empty
/// body is allowed).
public struct ReviewDecision: Sendable, Hashable, Codable {
    public var actor: String?
    public var reason: String?

    public init(actor: String? = nil, reason: String? = nil) {
        self.actor = actor
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case actor, reason }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
    }
}
