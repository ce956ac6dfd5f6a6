import Foundation
import MemoryClient
import MemoryEngine

/// `--json` output: the API's own JSON for each object (snake-case keys, ISO 8601 dates with
/// milliseconds, sorted keys), one document per command, so scripts can use `jq` on it the way
/// they would on `curl` output.
enum JSONOutput {
    /// Accepts what `WireJSON.encoder()` writes and plain ISO 8601 without fractional seconds.
    /// Not `WireJSON.decoder()`: that one memoizes dates for one response, and `import` decodes
    /// a whole file with one decoder, where the memo would grow with every distinct date.
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
                return date
            }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
            throw DecodingError.dataCorruptedError(in: container,
                                                   debugDescription: "expected an ISO 8601 date, got \"\(text)\"")
        }
        return decoder
    }

    /// One line of JSON for `value`. - Throws: ``CLIFailure`` (never expected: the API types
    /// always encode).
    static func line<Value: Encodable>(_ value: Value) throws -> String {
        do {
            return String(decoding: try WireJSON.encoder().encode(value), as: UTF8.self)
        } catch {
            throw CLIFailure(.error, "cannot encode the result as JSON: \(error)")
        }
    }
}

/// A namespace as the API writes it (`GET /v1/namespaces/{ns}`): HNSW parameters in snake case,
/// which ``NamespaceStats``' own Codable form (camel case) is not.
struct NamespaceJSON: Encodable {
    struct Parameters: Encodable {
        var m: Int
        var ef_construction: Int
        var ef_search: Int
        var flat_threshold: Int
        var consolidation_fraction: Double
        var seed: UInt64
    }
    var name: String
    var dimension: Int
    var metric: String
    var parameters: Parameters
    var embedder_id: String?
    var created_at: Date
    var entry_count: Int
    var deleted_nodes: Int
    var free_slots: Int
    var max_level: Int
    var index_bytes: Int

    init(_ stats: NamespaceStats) {
        name = stats.name
        dimension = stats.dimension
        metric = stats.metric.rawValue
        let p = stats.parameters
        parameters = Parameters(m: p.m, ef_construction: p.efConstruction, ef_search: p.efSearch,
                                flat_threshold: p.flatThreshold, consolidation_fraction: p.consolidationFraction,
                                seed: p.seed)
        embedder_id = stats.embedderID
        created_at = stats.createdAt
        entry_count = stats.entryCount
        deleted_nodes = stats.deletedNodes
        free_slots = stats.freeSlots
        max_level = stats.maxLevel
        index_bytes = stats.indexBytes
    }
}

/// `GET /v1/health`'s document (``HealthStatus`` is decode-only).
struct HealthJSON: Encodable {
    var status: String
    var version: String
    var uptime_seconds: Double
    var pid: Int32
    var details: [String: String]

    init(_ health: HealthStatus) {
        status = health.status
        version = health.version
        uptime_seconds = health.uptimeSeconds
        pid = health.pid
        details = health.details
    }
}

/// `DELETE /v1/namespaces/{ns}`'s document.
struct DeletionJSON: Encodable {
    var deleted: String
    var sequence: UInt64?
}

/// `GET /v1/namespaces`'s document.
struct NamespaceListJSON: Encodable {
    var namespaces: [NamespaceJSON]
}
