public import EngramJSON
public import Foundation

// The request documents of the write routes. Each rejects unknown fields when decoded (a
// misspelt field would otherwise silently do nothing); `actor` and `reason` are the audit
// fields every write may carry.

/// `POST …/memories` and `POST …/learn`.
///
/// The vector travels as `vector_b64` (little-endian float32, base64) or `vector` (a JSON
/// array); the daemon takes it out of the body before decoding the rest (see
/// ``VectorBodySplitter``), so ``init(from:)`` reads neither.
public struct RememberRequest: Sendable, Hashable, Codable {
    public var text: String
    /// The caller's embedding of `text`; `nil` lets the daemon embed it.
    public var vector: [Float]?
    public var tags: [String]
    public var metadata: [String: JSONValue]
    public var source: String
    /// The initial confidence; `nil` takes the daemon's prior.
    public var confidence: Double?
    public var pinned: Bool
    public var expiresAt: Date?
    /// The application's own user or agent, recorded beside the peer in the audit log.
    public var actor: String?
    public var reason: String?

    public init(text: String, vector: [Float]? = nil, tags: [String] = [], metadata: [String: JSONValue] = [:],
                source: String = "user", confidence: Double? = nil, pinned: Bool = false, expiresAt: Date? = nil,
                actor: String? = nil, reason: String? = nil) {
        self.text = text
        self.vector = vector
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.pinned = pinned
        self.expiresAt = expiresAt
        self.actor = actor
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case text, tags, metadata, source, confidence, pinned, actor, reason
        case expiresAt = "expires_at"
    }

    enum VectorKeys: String, CodingKey { case vectorB64 = "vector_b64" }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decode(String.self, forKey: .text)
        vector = nil
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        metadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata) ?? [:]
        source = try c.decodeIfPresent(String.self, forKey: .source) ?? "user"
        confidence = try c.decodeIfPresent(Double.self, forKey: .confidence)
        pinned = try c.decodeIfPresent(Bool.self, forKey: .pinned) ?? false
        expiresAt = try c.decodeIfPresent(Date.self, forKey: .expiresAt)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
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
        try c.encodeIfPresent(actor, forKey: .actor)
        try c.encodeIfPresent(reason, forKey: .reason)
        if let vector {
            var v = encoder.container(keyedBy: VectorKeys.self)
            try v.encode(VectorCodec.encodeBase64(vector), forKey: .vectorB64)
        }
    }
}

/// `PATCH …/memories/{id}`: the members to change (absent ones stay as they are). The vector
/// is a JSON array here.
public struct EditRequest: Sendable, Hashable, Codable {
    public var text: String?
    public var vector: [Float]?
    public var tags: [String]?
    public var metadata: [String: JSONValue]?
    public var source: String?
    public var confidence: Double?
    public var pinned: Bool?
    public var expiresAt: Date?
    /// `true` removes the expiry.
    public var clearExpiry: Bool?
    public var actor: String?
    public var reason: String?

    public init(text: String? = nil, vector: [Float]? = nil, tags: [String]? = nil, metadata: [String: JSONValue]? = nil,
                source: String? = nil, confidence: Double? = nil, pinned: Bool? = nil, expiresAt: Date? = nil,
                clearExpiry: Bool? = nil, actor: String? = nil, reason: String? = nil) {
        self.text = text
        self.vector = vector
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.confidence = confidence
        self.pinned = pinned
        self.expiresAt = expiresAt
        self.clearExpiry = clearExpiry
        self.actor = actor
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case text, vector, tags, metadata, source, confidence, pinned, actor, reason
        case expiresAt = "expires_at"
        case clearExpiry = "clear_expiry"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        vector = try c.decodeIfPresent([Float].self, forKey: .vector)
        tags = try c.decodeIfPresent([String].self, forKey: .tags)
        metadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        confidence = try c.decodeIfPresent(Double.self, forKey: .confidence)
        pinned = try c.decodeIfPresent(Bool.self, forKey: .pinned)
        expiresAt = try c.decodeIfPresent(Date.self, forKey: .expiresAt)
        clearExpiry = try c.decodeIfPresent(Bool.self, forKey: .clearExpiry)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
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
