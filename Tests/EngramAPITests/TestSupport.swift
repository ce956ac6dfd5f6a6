import EngramAPI
import EngramJSON
import Foundation

/// The fields of an entry to build, with a new entry's defaults: the tests of the documents'
/// codecs build entries the way the engine's tests do.
struct MemoryDraft {
    var text: String
    var tags: [String] = []
    var metadata: [String: JSONValue] = [:]
    var source = "user"
    var confidence = 0.5
    var evidence = Evidence()
    var pinned = false
    var createdAt: Date
    var updatedAt: Date?
    var lastUsedAt: Date?
    var useCount: UInt64 = 0
    var version: UInt64 = 1
    var expiresAt: Date?

    init(text: String, createdAt: Date = Date()) {
        self.text = text
        self.createdAt = createdAt
    }
}

extension MemoryEntry {
    init(id: UInt64, namespace: String, slot: UInt32, draft: MemoryDraft) {
        self.init(id: id, namespace: namespace, text: draft.text, tags: draft.tags, metadata: draft.metadata,
                  source: draft.source, confidence: draft.confidence, evidence: draft.evidence, pinned: draft.pinned,
                  createdAt: draft.createdAt, updatedAt: draft.updatedAt, lastUsedAt: draft.lastUsedAt,
                  useCount: draft.useCount, version: draft.version, expiresAt: draft.expiresAt, slot: slot)
    }
}

/// A body that rejects unknown keys, for exercising strict decoding.
struct ProbeBody: Decodable {
    let name: String
    let count: Int

    enum CodingKeys: String, CodingKey, CaseIterable { case name, count }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        count = try container.decode(Int.self, forKey: .count)
    }
}
