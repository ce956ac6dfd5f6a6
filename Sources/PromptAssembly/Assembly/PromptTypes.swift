import Foundation
import EngramAPI

/// One memory used in a prompt, as `/v1/prompt` reports it so the caller can cite it and give
/// feedback on it.
public struct RetrievedMemory: Sendable, Equatable, Codable {
    public var id: UInt64
    /// The daemon's ranking score in the namespace's search mode (hybrid: the fused score).
    public var score: Double
    /// Cosine similarity to the request; `nil` when the namespace searches lexically.
    public var similarity: Double?
    public var confidence: Double
    public var createdAt: Date
    /// When the fact happened or was said.
    public var occurredAt: Date
    public var text: String
    /// Entries this learned fact may contradict (absent from the JSON when none).
    public var conflictsWith: [UInt64]

    public init(id: UInt64, score: Double, similarity: Double? = nil, confidence: Double, createdAt: Date,
                occurredAt: Date? = nil, text: String, conflictsWith: [UInt64] = []) {
        self.conflictsWith = conflictsWith
        self.id = id
        self.score = score
        self.similarity = similarity
        self.confidence = confidence
        self.createdAt = createdAt
        self.occurredAt = occurredAt ?? createdAt
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case id, score, similarity, confidence, text
        case createdAt = "created_at"
        case occurredAt = "occurred_at"
        case conflictsWith = "conflicts_with"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(UInt64.self, forKey: .id), score: try c.decode(Double.self, forKey: .score),
                  similarity: try c.decodeIfPresent(Double.self, forKey: .similarity),
                  confidence: try c.decode(Double.self, forKey: .confidence),
                  createdAt: try c.decode(Date.self, forKey: .createdAt),
                  occurredAt: try c.decodeIfPresent(Date.self, forKey: .occurredAt), text: try c.decode(String.self, forKey: .text),
                  conflictsWith: try c.decodeIfPresent([UInt64].self, forKey: .conflictsWith) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(score, forKey: .score)
        try c.encodeIfPresent(similarity, forKey: .similarity)
        try c.encode(confidence, forKey: .confidence)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(occurredAt, forKey: .occurredAt)
        try c.encode(text, forKey: .text)
        if !conflictsWith.isEmpty { try c.encode(conflictsWith, forKey: .conflictsWith) }
    }
}

/// A chat message (`role`, `content`), as OpenAI's chat API writes it.
public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// `POST /v1/prompt`'s body. Unknown fields are rejected.
public struct PromptRequest: Sendable, Equatable, Decodable {
    public var namespace: String
    /// The user's request, in their words; also the search text.
    public var request: String
    /// Memories to ask the daemon for (1…1000); default `prompt.k`.
    public var k: Int?
    /// Raise (never lower) `prompt.min_confidence` for this request.
    public var minConfidence: Double?
    /// Upper bound of the estimated tokens of `prompt`; default `prompt.token_budget`.
    public var tokenBudget: Int?
    /// Template name; default `prompt.template`.
    public var template: String?

    public init(namespace: String, request: String, k: Int? = nil, minConfidence: Double? = nil, tokenBudget: Int? = nil,
                template: String? = nil) {
        self.namespace = namespace
        self.request = request
        self.k = k
        self.minConfidence = minConfidence
        self.tokenBudget = tokenBudget
        self.template = template
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case namespace, request, k, template
        case minConfidence = "min_confidence"
        case tokenBudget = "token_budget"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        namespace = try c.decode(String.self, forKey: .namespace)
        request = try c.decode(String.self, forKey: .request)
        k = try c.decodeIfPresent(Int.self, forKey: .k)
        minConfidence = try c.decodeIfPresent(Double.self, forKey: .minConfidence)
        tokenBudget = try c.decodeIfPresent(Int.self, forKey: .tokenBudget)
        template = try c.decodeIfPresent(String.self, forKey: .template)
    }

    /// Range checks the decoder cannot express. - Throws: `invalid_field`.
    func validate() throws(PromptAPIError) {
        try NamespaceName.check(namespace, field: "namespace")
        if request.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .invalidField("request", "must not be empty") }
        if request.utf8.count > 32 * 1024 { throw .invalidField("request", "at most 32 KiB of UTF-8") }
        if let k, !(1...1000).contains(k) { throw .invalidField("k", "must be between 1 and 1000, got \(k)") }
        if let minConfidence, !(minConfidence.isFinite && (0...1).contains(minConfidence)) {
            throw .invalidField("min_confidence", "must be between 0 and 1, got \(minConfidence)")
        }
        if let tokenBudget, !(1...10_000_000).contains(tokenBudget) {
            throw .invalidField("token_budget", "must be between 1 and 10000000, got \(tokenBudget)")
        }
    }
}

/// `POST /v1/prompt`'s answer.
public struct PromptResponse: Sendable, Equatable, Codable {
    /// The assembled prompt, rendered with the request's template.
    public var prompt: String
    /// The same as chat messages: the system message (knowledge) and the user's request.
    public var messages: [ChatMessage]
    /// The memories used, best first.
    public var memories: [RetrievedMemory]
    /// ``TokenEstimator``'s estimate of `prompt`.
    public var estimatedTokens: Int
    public var tokenBudget: Int
    public var template: String

    enum CodingKeys: String, CodingKey {
        case prompt, messages, memories, template
        case estimatedTokens = "estimated_tokens"
        case tokenBudget = "token_budget"
    }
}

/// docs/architecture.md's namespace names ("Data model and guarantees"): 1–128 of `[A-Za-z0-9._-]`. Checked here too so a bad name is
/// refused as bad input rather than looked up (a search would call it "not found").
enum NamespaceName {
    static func check(_ name: String, field: String) throws(PromptAPIError) {
        guard PlainName.isValid(name) else { throw .invalidField(field, "a namespace name is 1–128 of [A-Za-z0-9._-], got '\(name)'") }
    }
}
