#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EngramJSON

extension MemoryEntry {
    /// Reads one date where the document has one: the store writes `Date`'s own encoding
    /// (seconds since 2001 as a number), the API an ISO 8601 string.
    package typealias DateReader = (inout JSONReader) throws(JSONReader.Failure) -> Date

    /// `Date`'s `Codable` form, as `JSONEncoder`/`JSONDecoder` use it by default: seconds
    /// since the reference date.
    package static func readReferenceDate(_ reader: inout JSONReader) throws(JSONReader.Failure) -> Date {
        Date(timeIntervalSinceReferenceDate: try reader.double())
    }

    /// Reads the entry object that starts at the reader's position: the same fields, with the
    /// same meaning, as the synthesized `Decodable` (unknown keys skipped, `null` or a missing
    /// key for the optional dates, every other field required).
    ///
    /// Stricter than `JSONDecoder` in one way: a key given twice (here, in `evidence` or
    /// inside `metadata`) is a failure, so that a caller falling back to `JSONDecoder` on
    /// failure ends with `JSONDecoder`'s own answer for such a document. O(bytes of the entry).
    package init(reading reader: inout JSONReader, date: DateReader) throws(JSONReader.Failure) {
        var id: UInt64?, namespace: String?, text: String?, tags: [String]?, metadata: [String: JSONValue]?
        var source: String?, confidence: Double?, evidence: Evidence?, pinned: Bool?
        var createdAt: Date?, updatedAt: Date?, lastUsedAt: Date?, useCount: UInt64?, version: UInt64?
        var expiresAt: Date?, slot: UInt64?, occurredAt: Date?, validFrom: Date?, validTo: Date?
        var thread: String?, position: Int64?, pending = false, conflictsWith: [UInt64] = [], learned = false
        var seen = SeenKeys()
        try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
            switch key {
            case "id": try seen.first(0, key, reader); id = try reader.uint64()
            case "namespace": try seen.first(1, key, reader); namespace = try reader.string()
            case "text": try seen.first(2, key, reader); text = try reader.string()
            case "tags":
                try seen.first(3, key, reader)
                var list: [String] = []
                try reader.forEachElement { (reader) throws(JSONReader.Failure) in list.append(try reader.string()) }
                tags = list
            case "metadata":
                try seen.first(4, key, reader)
                guard case .object(let object) = try reader.value() else { throw reader.failure("metadata is not an object") }
                metadata = object
            case "source": try seen.first(5, key, reader); source = try reader.string()
            case "confidence": try seen.first(6, key, reader); confidence = try reader.double()
            case "evidence": try seen.first(7, key, reader); evidence = try Evidence(reading: &reader)
            case "pinned": try seen.first(8, key, reader); pinned = try reader.bool()
            case "created_at": try seen.first(9, key, reader); createdAt = try date(&reader)
            case "updated_at": try seen.first(10, key, reader); updatedAt = try date(&reader)
            case "last_used_at": try seen.first(11, key, reader); lastUsedAt = reader.consumeNull() ? nil : try date(&reader)
            case "use_count": try seen.first(12, key, reader); useCount = try reader.uint64()
            case "version": try seen.first(13, key, reader); version = try reader.uint64()
            case "expires_at": try seen.first(14, key, reader); expiresAt = reader.consumeNull() ? nil : try date(&reader)
            case "slot": try seen.first(15, key, reader); slot = try reader.uint64()
            case "occurred_at": try seen.first(16, key, reader); occurredAt = reader.consumeNull() ? nil : try date(&reader)
            case "valid_from": try seen.first(17, key, reader); validFrom = reader.consumeNull() ? nil : try date(&reader)
            case "valid_to": try seen.first(18, key, reader); validTo = reader.consumeNull() ? nil : try date(&reader)
            case "thread": try seen.first(19, key, reader); thread = reader.consumeNull() ? nil : try reader.string()
            case "position":
                try seen.first(20, key, reader)
                position = reader.consumeNull() ? nil : try reader.int64()
            case "pending": try seen.first(21, key, reader); pending = try reader.bool()
            case "conflicts_with":
                try seen.first(22, key, reader)
                var ids: [UInt64] = []
                try reader.forEachElement { (reader) throws(JSONReader.Failure) in ids.append(try reader.uint64()) }
                conflictsWith = ids
            case "learned": try seen.first(23, key, reader); learned = try reader.bool()
            default: try reader.skipValue()
            }
        }
        guard let id, let namespace, let text, let tags, let metadata, let source, let confidence, let evidence,
              let pinned, let createdAt, let updatedAt, let useCount, let version, let slot,
              let slot32 = UInt32(exactly: slot) else {
            throw reader.failure("entry without every required field")
        }
        self.init(id: id, namespace: namespace, slot: slot32, draft: MemoryDraft(
            text: text, tags: tags, metadata: metadata, source: source, confidence: confidence, evidence: evidence,
            pinned: pinned, createdAt: createdAt, updatedAt: updatedAt, lastUsedAt: lastUsedAt, useCount: useCount,
            version: version, expiresAt: expiresAt, occurredAt: occurredAt, validFrom: validFrom, validTo: validTo,
            thread: thread, position: position, pending: pending, conflictsWith: conflictsWith, learned: learned))
    }
}

extension Evidence {
    /// The evidence object, every counter required (as its synthesized `Decodable`).
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var support: UInt64?, contradictions: UInt64?, useful: UInt64?, notUseful: UInt64?
        var seen = SeenKeys()
        try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
            switch key {
            case "support": try seen.first(0, key, reader); support = try reader.uint64()
            case "contradictions": try seen.first(1, key, reader); contradictions = try reader.uint64()
            case "useful": try seen.first(2, key, reader); useful = try reader.uint64()
            case "not_useful": try seen.first(3, key, reader); notUseful = try reader.uint64()
            default: try reader.skipValue()
            }
        }
        guard let support, let contradictions, let useful, let notUseful else {
            throw reader.failure("evidence without every counter")
        }
        self.init(support: support, contradictions: contradictions, useful: useful, notUseful: notUseful)
    }
}
