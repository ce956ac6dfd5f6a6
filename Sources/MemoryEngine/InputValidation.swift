#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemoryStore
import VectorMath
import EngramJSON

/// The engine's input checks. They run before anything is embedded or written, so bad input
/// costs no model time and never reaches the store; each throws a precise ``EngineError``.
enum InputValidation {
    static let maxTags = 64
    static let maxTagBytes = 128
    static let maxSourceBytes = 128

    /// Non-empty (not only whitespace), at most `MemoryStore.maxTextBytes` UTF-8 bytes.
    static func text(_ text: String, field: String = "text") throws(EngineError) {
        let bytes = text.utf8.count
        guard bytes <= MemoryStore.maxTextBytes else {
            throw .payloadTooLarge("\(field) has \(bytes) bytes, more than \(MemoryStore.maxTextBytes)")
        }
        guard text.contains(where: { !$0.isWhitespace }) else { throw .invalidArgument("\(field) must not be empty") }
    }

    /// At most `MemoryStore.maxMetadataBytes` when encoded as JSON; numbers finite.
    static func metadata(_ metadata: [String: JSONValue]) throws(EngineError) {
        guard !metadata.isEmpty else { return }
        guard metadata.values.allSatisfy(isFinite) else { throw .invalidArgument("metadata numbers must be finite") }
        let bytes: Int
        do {
            bytes = try JSONEncoder().encode(metadata).count
        } catch {
            throw .invalidArgument("metadata is not encodable as JSON: \(error)")
        }
        guard bytes <= MemoryStore.maxMetadataBytes else {
            throw .payloadTooLarge("metadata has \(bytes) bytes, more than \(MemoryStore.maxMetadataBytes)")
        }
    }

    private static func isFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number): number.isFinite
        case .array(let values): values.allSatisfy(isFinite)
        case .object(let values): values.values.allSatisfy(isFinite)
        case .null, .bool, .string: true
        }
    }

    /// Each tag 1–128 bytes without control characters, at most 64. Returns them with
    /// duplicates removed, first occurrence kept.
    static func tags(_ tags: [String]) throws(EngineError) -> [String] {
        guard tags.count <= maxTags else { throw .invalidArgument("at most \(maxTags) tags, got \(tags.count)") }
        var seen = Set<String>()
        var result: [String] = []
        for tag in tags {
            try label(tag, field: "tag", maxBytes: maxTagBytes)
            if seen.insert(tag).inserted { result.append(tag) }
        }
        return result
    }

    static func source(_ source: String) throws(EngineError) {
        try label(source, field: "source", maxBytes: maxSourceBytes)
    }

    private static func label(_ value: String, field: String, maxBytes: Int) throws(EngineError) {
        let bytes = value.utf8.count
        guard (1...maxBytes).contains(bytes) else {
            throw .invalidArgument("\(field) must have 1–\(maxBytes) bytes, \"\(value.prefix(40))\" has \(bytes)")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument("\(field) \"\(value.prefix(40))\" contains control characters")
        }
    }

    static func confidence(_ value: Double) throws(EngineError) {
        guard value.isFinite, (0...1).contains(value) else {
            throw .invalidArgument("confidence must be in 0…1, got \(value)")
        }
    }

    /// The store's checks of event time and thread (``Validation/eventFields``), made before
    /// any embedding so a bad request costs nothing.
    static func eventFields(validFrom: Date?, validTo: Date?, thread: String?, position: Int64?) throws(EngineError) {
        do {
            try Validation.eventFields(validFrom: validFrom, validTo: validTo, thread: thread, position: position)
        } catch let MemoryStoreError.invalidArgument(message) {
            throw .invalidArgument(message)
        } catch {
            throw .invalidArgument("\(error)")
        }
    }

    /// Must lie after `now` (an entry born expired would never be visible).
    static func expiry(_ date: Date, now: Date) throws(EngineError) {
        guard date.timeIntervalSinceReferenceDate.isFinite, date > now else {
            throw .invalidArgument("expires_at must be in the future")
        }
    }

    /// Dimension, finite components and (under cosine) a non-zero norm. O(dimension).
    static func vector(_ vector: [Float], for config: NamespaceConfig) throws(EngineError) -> QueryVector {
        do {
            return try QueryVector(vector, for: config)
        } catch {
            throw engineError(error)
        }
    }

    /// The engine's error for a vector that does not fit a namespace.
    static func engineError(_ problem: VectorProblem) -> EngineError {
        switch problem {
        case .dimension: .dimensionMismatch(problem.description)
        case .nonFinite(let component): .invalidArgument("vector component \(component) is NaN or infinite")
        case .zeroUnderCosine: .invalidArgument(problem.description)
        }
    }

    /// 1…`max`, for page sizes.
    static func limit(_ limit: Int, max: Int) throws(EngineError) {
        guard (1...max).contains(limit) else { throw .invalidArgument("limit must be in 1…\(max), got \(limit)") }
    }

    static func filter(_ filter: SearchFilter) throws(EngineError) {
        for (name, bound) in [("min_confidence", filter.minConfidence), ("max_confidence", filter.maxConfidence)] {
            if let bound, !(bound.isFinite && (0...1).contains(bound)) {
                throw .invalidArgument("filter \(name) must be in 0…1, got \(bound)")
            }
        }
        for tags in [filter.tagsAny, filter.tagsAll].compactMap({ $0 }) {
            guard tags.count <= 1024 else { throw .invalidArgument("a tag filter takes at most 1024 tags") }
        }
        if let sources = filter.sources, sources.count > 1024 {
            throw .invalidArgument("a source filter takes at most 1024 sources")
        }
        for range in [filter.created, filter.updated, filter.occurred].compactMap({ $0 }) {
            if let from = range.from, let to = range.to, from > to {
                throw .invalidArgument("a time range's from is after its to")
            }
        }
        if let metadata = filter.metadata { try self.metadata(metadata) }
    }
}
