import Foundation
import HNSW
import MemoryEngine
import MemoryStore
import Synchronization
import VectorMath
import EngramJSON

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
public enum WireJSON {
    static let fractionalStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let plainStyle = Date.ISO8601FormatStyle()

    /// The encoder of request bodies; the CLI's `--json` output and exports use it too, so
    /// they are the API's own JSON.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(WireDate.string(date))
        }
        return encoder
    }

    /// A decoder for one response.
    ///
    /// Dates are memoized per decoder (so per response): a search response repeats its
    /// timestamps (`updated_at` equals `created_at` until an entry is edited, and every hit of
    /// one search carries the same `last_used_at`), and Foundation's ISO 8601 parser costs a few
    /// microseconds a date. Measured with `engram-socket-bench` (20 000 × 384-d, k = 10):
    /// decoding the 10 hits cost ≈ 130–150 µs with a parse per date. The memo returns what
    /// the parser returned for the same text, so results are identical.
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        let parsed = DateMemo()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = parsed.dates.withLock({ $0[text] }) { return date }
            let date: Date
            if let fractional = try? Date(text, strategy: fractionalStyle) {
                date = fractional
            } else if let plain = try? Date(text, strategy: plainStyle) {
                date = plain
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 date, got \"\(text)\"")
            }
            parsed.dates.withLock { $0[text] = date }
            return date
        }
        return decoder
    }

    /// Parsed dates by their text, for one decoder. The `Mutex` is what lets the `@Sendable`
    /// date strategy share it (a decoder runs on one thread, so it is never contended).
    final class DateMemo: Sendable {
        let dates = Mutex<[String: Date]>([:])
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

extension SearchWire {
    /// The body's JSON written directly: the same members as ``encode(to:)``, without
    /// `JSONEncoder` for the text, the numbers and the vector (the optional `filter` and `rank`
    /// still go through it). Measured with `engram-socket-bench` (384-d, k = 10): `JSONEncoder`
    /// spent ≈ 75 µs per search body, most of it on the 2 KiB `vector_b64` string.
    func jsonBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + (request.vector?.count ?? 0) * 6 + (request.text?.utf8.count ?? 0) * 2)
        out.append(UInt8(ascii: "{"))
        func key(_ name: String) {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "\":".utf8)
        }
        if let text = request.text {
            key("text")
            WireJSON.appendString(text, to: &out)
        }
        if let vector = request.vector {
            key("vector_b64")
            out.append(UInt8(ascii: "\""))
            WireJSON.appendBase64(vector, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let k = request.k {
            key("k")
            out.append(contentsOf: String(k).utf8)
        }
        if let ef = request.ef {
            key("ef")
            out.append(contentsOf: String(ef).utf8)
        }
        if let filter = request.filter {
            key("filter")
            out.append(contentsOf: try WireJSON.encoder().encode(filter))
        }
        if let rank = request.rank {
            key("rank")
            out.append(contentsOf: try WireJSON.encoder().encode(rank))
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

extension WireJSON {
    /// `text` as a JSON string: `"` and `\` escaped, control characters as `\b \f \n \r \t`
    /// or `\u00xx`, everything else (non-ASCII included) copied as UTF-8 (what `JSONEncoder`
    /// writes with `.withoutEscapingSlashes`).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for unit in text.utf8 {
            switch unit {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(unit >> 4)])
                out.append(hex[Int(unit & 0x0F)])
            default: out.append(unit)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `vector` as ``base64(_:)`` spells it (little-endian float32, standard alphabet, `=`
    /// padding), appended without the intermediate `Data` and `String`.
    static func appendBase64(_ vector: [Float], to out: inout [UInt8]) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var pending: UInt32 = 0  // up to 3 bytes waiting, most significant first
        var pendingCount = 0
        func push(_ byte: UInt8) {
            pending = pending << 8 | UInt32(byte)
            pendingCount += 1
            if pendingCount == 3 {
                out.append(alphabet[Int(pending >> 18 & 0x3F)])
                out.append(alphabet[Int(pending >> 12 & 0x3F)])
                out.append(alphabet[Int(pending >> 6 & 0x3F)])
                out.append(alphabet[Int(pending & 0x3F)])
                pending = 0
                pendingCount = 0
            }
        }
        for value in vector {
            let bits = value.bitPattern
            push(UInt8(truncatingIfNeeded: bits))
            push(UInt8(truncatingIfNeeded: bits >> 8))
            push(UInt8(truncatingIfNeeded: bits >> 16))
            push(UInt8(truncatingIfNeeded: bits >> 24))
        }
        if pendingCount == 1 {
            out.append(alphabet[Int(pending >> 2 & 0x3F)])
            out.append(alphabet[Int(pending << 4 & 0x3F)])
            out.append(contentsOf: "==".utf8)
        } else if pendingCount == 2 {
            out.append(alphabet[Int(pending >> 10 & 0x3F)])
            out.append(alphabet[Int(pending >> 4 & 0x3F)])
            out.append(alphabet[Int(pending << 2 & 0x3F)])
            out.append(UInt8(ascii: "="))
        }
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
