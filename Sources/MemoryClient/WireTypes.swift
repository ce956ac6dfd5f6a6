import Foundation
import HNSW
import MemoryEngine
import MemoryStore
import VectorMath

/// `GET /v1/health`.
public struct HealthStatus: Sendable, Equatable, Decodable {
    /// `ok` while the daemon serves.
    public var status: String
    public var version: String
    public var uptimeSeconds: Double
    public var pid: Int32
    /// Facts the daemon adds (BLAS backend, store state…).
    public var details: [String: String]

    enum CodingKeys: String, CodingKey {
        case status, version, pid, details
        case uptimeSeconds = "uptime_seconds"
    }
}

/// `DELETE /v1/namespaces/{ns}`.
public struct NamespaceDeletion: Sendable, Equatable, Decodable {
    /// The namespace's name.
    public var deleted: String
    /// Sequence of the last `deleted` audit event; `nil` when the namespace held no entries.
    public var sequence: UInt64?
}

// MARK: - JSON conventions

/// The API's JSON conventions, shared by every request and response: snake-case keys (the
/// engine types carry their own CodingKeys) and ISO 8601 dates with fractional seconds, which
/// is what the daemon writes; plain ISO 8601 is accepted too so an older daemon still decodes.
enum WireJSON {
    static let fractionalStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let plainStyle = Date.ISO8601FormatStyle()

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(fractionalStyle))
        }
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: fractionalStyle) { return date }
            if let date = try? Date(text, strategy: plainStyle) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 date, got \"\(text)\"")
        }
        return decoder
    }

    /// `vector_b64`: little-endian float32, base64 (OpenAI's embeddings convention); a quarter
    /// of the bytes of a JSON array and parsed by the daemon without Foundation.
    static func base64(_ vector: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}

/// The audit fields every write body may carry beside the engine's request.
enum AuditKeys: String, CodingKey { case actor, reason }

private func encodeAudit(actor: String?, reason: String?, to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: AuditKeys.self)
    try container.encodeIfPresent(actor, forKey: .actor)
    try container.encodeIfPresent(reason, forKey: .reason)
}

// MARK: - Request bodies

/// `POST …/memories` and `…/learn`: the engine's request with its vector as `vector_b64`.
struct RememberWire: Encodable {
    var request: RememberRequest
    var actor: String?
    var reason: String?

    enum VectorKeys: String, CodingKey { case vectorB64 = "vector_b64" }

    func encode(to encoder: any Encoder) throws {
        var withoutVector = request
        withoutVector.vector = nil
        try withoutVector.encode(to: encoder)
        if let vector = request.vector {
            var container = encoder.container(keyedBy: VectorKeys.self)
            try container.encode(WireJSON.base64(vector), forKey: .vectorB64)
        }
        try encodeAudit(actor: actor, reason: reason, to: encoder)
    }
}

/// `PATCH …/memories/{id}`: the route takes the vector as a JSON array only.
struct EditWire: Encodable {
    var request: EditRequest
    var actor: String?
    var reason: String?

    func encode(to encoder: any Encoder) throws {
        try request.encode(to: encoder)
        try encodeAudit(actor: actor, reason: reason, to: encoder)
    }
}

/// `POST …/memories/{id}/revert`.
struct RevertWire: Encodable {
    var version: UInt64
    var vector: [Float]?
    var actor: String?
    var reason: String?
}

/// `POST …/memories/{id}/feedback`.
struct FeedbackWire: Encodable {
    var signal: FeedbackSignal
    var actor: String?
    var reason: String?
}

/// `POST …/search`, with the vector as `vector_b64`.
struct SearchWire: Encodable {
    var request: SearchRequest

    enum Keys: String, CodingKey {
        case text, k, ef, filter, rank
        case vectorB64 = "vector_b64"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(request.text, forKey: .text)
        try container.encodeIfPresent(request.vector.map(WireJSON.base64), forKey: .vectorB64)
        try container.encodeIfPresent(request.k, forKey: .k)
        try container.encodeIfPresent(request.ef, forKey: .ef)
        try container.encodeIfPresent(request.filter, forKey: .filter)
        try container.encodeIfPresent(request.rank, forKey: .rank)
    }
}

/// HNSW parameters as the API spells them (snake case); ``HNSWParameters``' own Codable form
/// is camel case, so it cannot be used on the wire directly.
struct ParametersWire: Codable {
    var m: Int
    var ef_construction: Int
    var ef_search: Int
    var flat_threshold: Int
    var consolidation_fraction: Double
    var seed: UInt64

    init(_ parameters: HNSWParameters) {
        m = parameters.m
        ef_construction = parameters.efConstruction
        ef_search = parameters.efSearch
        flat_threshold = parameters.flatThreshold
        consolidation_fraction = parameters.consolidationFraction
        seed = parameters.seed
    }

    var parameters: HNSWParameters {
        HNSWParameters(m: m, efConstruction: ef_construction, efSearch: ef_search, flatThreshold: flat_threshold,
                       consolidationFraction: consolidation_fraction, seed: seed)
    }
}

/// `PUT /v1/namespaces/{ns}`.
struct NamespaceWire: Encodable {
    var dimension: Int?
    var metric: Metric
    var parameters: ParametersWire

    init(_ request: NamespaceRequest) {
        dimension = request.dimension
        metric = request.metric
        parameters = ParametersWire(request.parameters)
    }
}

// MARK: - Response documents

/// A namespace as the API writes it (HNSW parameters in snake case, see ``ParametersWire``).
struct NamespaceDocument: Decodable {
    var name: String
    var dimension: Int
    var metric: Metric
    var parameters: ParametersWire
    var embedder_id: String?
    var created_at: Date
    var entry_count: Int
    var deleted_nodes: Int
    var free_slots: Int
    var max_level: Int
    var index_bytes: Int

    func stats() -> NamespaceStats {
        NamespaceStats(name: name, dimension: dimension, metric: metric, parameters: parameters.parameters,
                       embedderID: embedder_id, createdAt: created_at, entryCount: entry_count,
                       deletedNodes: deleted_nodes, freeSlots: free_slots, maxLevel: max_level,
                       indexBytes: index_bytes)
    }
}

struct NamespaceListDocument: Decodable {
    var namespaces: [NamespaceDocument]
}

/// `{"error": {"code": …, "message": …}}`.
struct ErrorDocument: Decodable {
    struct Body: Decodable {
        var code: String
        var message: String
    }
    var error: Body
}
