import Foundation
public import MemoryStore
public import EngramJSON

// The documents of the operator routes, as the client returns them.

/// One exported entry: every field and its vector. One line of `engram export` is exactly
/// its JSON (`vector_b64`: base64 of little-endian float32), and `importEntries` sends it back.
public struct ExportedEntry: Sendable, Hashable, Codable {
    public var entry: MemoryEntryFields
    public var vector: [Float]

    public init(entry: MemoryEntryFields, vector: [Float]) {
        self.entry = entry
        self.vector = vector
    }

    public init(entry: MemoryEntry, vector: [Float]) {
        self.init(entry: MemoryEntryFields(entry), vector: vector)
    }

    enum Keys: String, CodingKey { case vector_b64 }

    public init(from decoder: any Decoder) throws {
        entry = try MemoryEntryFields(from: decoder)
        let container = try decoder.container(keyedBy: Keys.self)
        let text = try container.decode(String.self, forKey: .vector_b64)
        guard let vector = WireJSON.floats(base64: text) else {
            throw DecodingError.dataCorruptedError(forKey: .vector_b64, in: container,
                                                   debugDescription: "not base64 of little-endian float32 values")
        }
        self.vector = vector
    }

    public func encode(to encoder: any Encoder) throws {
        try entry.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(WireJSON.base64(vector), forKey: .vector_b64)
    }
}

/// Every field of an entry the daemon exports (its internal slot aside), in the API's names.
public struct MemoryEntryFields: Sendable, Hashable, Codable {
    public var id: UInt64
    public var namespace: String?
    public var text: String
    public var tags: [String]
    public var metadata: [String: JSONValue]
    public var source: String
    public var confidence: Double
    public var evidence: Evidence
    public var pinned: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var lastUsedAt: Date?
    public var useCount: UInt64
    public var version: UInt64
    public var expiresAt: Date?

    public init(_ entry: MemoryEntry) {
        id = entry.id
        namespace = entry.namespace
        text = entry.text
        tags = entry.tags
        metadata = entry.metadata
        source = entry.source
        confidence = entry.confidence
        evidence = entry.evidence
        pinned = entry.pinned
        createdAt = entry.createdAt
        updatedAt = entry.updatedAt
        lastUsedAt = entry.lastUsedAt
        useCount = entry.useCount
        version = entry.version
        expiresAt = entry.expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case id, namespace, text, tags, metadata, source, confidence, evidence, pinned, version
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastUsedAt = "last_used_at"
        case useCount = "use_count"
        case expiresAt = "expires_at"
    }

    /// Optional members are written as `null`, so every line of an export has every key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(namespace, forKey: .namespace)
        try c.encode(text, forKey: .text)
        try c.encode(tags, forKey: .tags)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(source, forKey: .source)
        try c.encode(confidence, forKey: .confidence)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(pinned, forKey: .pinned)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(lastUsedAt, forKey: .lastUsedAt)
        try c.encode(useCount, forKey: .useCount)
        try c.encode(version, forKey: .version)
        try c.encode(expiresAt, forKey: .expiresAt)
    }
}

/// `GET /v1/namespaces/{ns}/export`: a page; pass `nextCursor` as `after` for the next.
public struct ExportPage: Sendable, Decodable {
    public var entries: [ExportedEntry]
    public var nextCursor: UInt64?
    /// Records of the page's range the daemon could not read (skipped); `nil` when none.
    public var damaged: [DamagedRecord]?

    enum CodingKeys: String, CodingKey {
        case entries, damaged
        case nextCursor = "next_cursor"
    }
}

/// `POST /v1/admin/import`: one result per entry sent, in order.
public struct ImportResult: Sendable, Decodable {
    public struct Item: Sendable, Decodable, Hashable {
        public var id: UInt64
        public var status: ImportOutcome.Status
        public var message: String?
    }

    public var results: [Item]
    /// Sequence of the last `created` event; `nil` when nothing was created.
    public var sequence: UInt64?
}

/// `POST /v1/admin/backup`.
public struct BackupResult: Sendable, Decodable, Hashable {
    public var path: String
    /// Size of the copy's data file.
    public var bytes: Int
    public var seconds: Double
}

/// `POST /v1/admin/verify`.
public struct VerificationSummary: Sendable, Decodable, Hashable {
    public var consistent: Bool
    public var problems: [String]
    public var namespaces: Int
    public var entries: Int
    public var graphNodes: Int
    public var vectors: Int
    public var auditEvents: Int

    enum CodingKeys: String, CodingKey {
        case consistent, problems, namespaces, entries, vectors
        case graphNodes = "graph_nodes"
        case auditEvents = "audit_events"
    }
}

/// A background job of the daemon (an index rebuild): `POST /v1/admin/rebuild`,
/// `GET`/`DELETE /v1/admin/jobs/{id}`.
public struct AdminJob: Sendable, Decodable, Hashable {
    public enum State: String, Sendable, Decodable, Hashable {
        case running, succeeded, failed, cancelled
    }

    public struct Failure: Sendable, Decodable, Hashable {
        public var code: String
        public var message: String
    }

    public struct RebuildResult: Sendable, Decodable, Hashable {
        public var namespace: String
        public var nodes: Int
        public var caughtUp: Int
        public var m: Int
        public var efConstruction: Int
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case namespace, nodes, m, seconds
            case caughtUp = "caught_up"
            case efConstruction = "ef_construction"
        }
    }

    public var id: String
    public var kind: String
    public var state: State
    public var namespaces: [String]
    /// The namespace being rebuilt now.
    public var namespace: String?
    /// `building`, `catching_up` or `persisting` while running.
    public var phase: String?
    public var done: Int
    public var total: Int
    public var cancelRequested: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var error: Failure?
    public var results: [RebuildResult]

    enum CodingKeys: String, CodingKey {
        case id, kind, state, namespaces, namespace, phase, done, total, error, results
        case cancelRequested = "cancel_requested"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }
}

struct JobDocument: Decodable {
    var job: AdminJob
}

struct RebuildWire: Encodable {
    var namespace: String?
    var m: Int?
    var efConstruction: Int?

    enum CodingKeys: String, CodingKey {
        case namespace, m
        case efConstruction = "ef_construction"
    }
}

struct BackupWire: Encodable {
    var path: String
}

struct ImportWire: Encodable {
    var namespace: String
    var entries: [ExportedEntry]
}

struct EmptyBody: Encodable {}

extension WireJSON {
    /// The float32 values of `vector_b64` text, or `nil` when it is not base64 of a whole
    /// number of little-endian float32 values.
    static func floats(base64 text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
