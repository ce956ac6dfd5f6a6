#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import VectorMath
import EngramJSON

/// Input checks shared by the writes; each throws `MemoryStoreError` with a message fit for
/// an API response.
package enum Validation {
    /// docs/architecture.md ("Data model and guarantees"): 1–128 of `[A-Za-z0-9._-]`; not `.` or `..`, which a URL path or a file
    /// name built from the namespace would read as a directory step.
    static func namespaceName(_ name: String) throws {
        guard PlainName.isValid(name) else { throw MemoryStoreError.invalidNamespaceName(name) }
    }

    static func fields(text: String, metadata: [String: JSONValue], confidence: Double, version: UInt64,
                       evidence: Evidence, useCount: UInt64) throws {
        guard text.utf8.count <= MemoryStore.maxTextBytes else {
            throw MemoryStoreError.invalidArgument("text has \(text.utf8.count) bytes, more than \(MemoryStore.maxTextBytes)")
        }
        let metadataBytes = metadata.isEmpty ? 2 : try JSONEncoder().encode(metadata).count
        guard metadataBytes <= MemoryStore.maxMetadataBytes else {
            throw MemoryStoreError.invalidArgument("metadata has \(metadataBytes) bytes, more than \(MemoryStore.maxMetadataBytes)")
        }
        guard confidence.isFinite, (0...1).contains(confidence) else {
            throw MemoryStoreError.invalidArgument("confidence must be in 0…1, got \(confidence)")
        }
        guard (1...MemoryStore.maxCount).contains(version) else {
            throw MemoryStoreError.invalidArgument("version must be between 1 and 2^53, got \(version)")
        }
        let counts = [("use_count", useCount), ("evidence.support", evidence.support),
                      ("evidence.contradictions", evidence.contradictions), ("evidence.useful", evidence.useful),
                      ("evidence.not_useful", evidence.notUseful)]
        if let (name, value) = counts.first(where: { $0.1 > MemoryStore.maxCount }) {
            throw MemoryStoreError.invalidArgument("\(name) must be at most 2^53, got \(value)")
        }
    }

    static func draft(_ draft: MemoryDraft) throws {
        try fields(text: draft.text, metadata: draft.metadata, confidence: draft.confidence, version: draft.version,
                   evidence: draft.evidence, useCount: draft.useCount)
        try eventFields(validFrom: draft.validFrom, validTo: draft.validTo, thread: draft.thread, position: draft.position)
        try links(draft.conflictsWith)
    }

    /// A rejected claim from outside (an import): text, actor and reason bounded.
    static func claim(_ claim: RejectedClaim) throws {
        guard !claim.text.isEmpty, claim.text.utf8.count <= MemoryStore.maxTextBytes else {
            throw MemoryStoreError.invalidArgument("a rejected claim's text must have 1…\(MemoryStore.maxTextBytes) bytes")
        }
        guard (1...1024).contains(claim.actor.utf8.count), (claim.reason?.utf8.count ?? 0) <= MemoryStore.maxTextBytes else {
            throw MemoryStoreError.invalidArgument("a rejected claim's actor must have 1…1024 bytes and its reason at most "
                + "\(MemoryStore.maxTextBytes)")
        }
    }

    /// An entry links to at most ``MemoryStore/maxConflictLinks`` others.
    static func links(_ ids: [UInt64]) throws {
        guard ids.count <= MemoryStore.maxConflictLinks else {
            throw MemoryStoreError.invalidArgument("conflicts_with lists \(ids.count) entries, more than \(MemoryStore.maxConflictLinks)")
        }
    }

    static func entry(_ entry: MemoryEntry) throws {
        try fields(text: entry.text, metadata: entry.metadata, confidence: entry.confidence, version: entry.version,
                   evidence: entry.evidence, useCount: entry.useCount)
        try eventFields(validFrom: entry.validFrom, validTo: entry.validTo, thread: entry.thread, position: entry.position)
        try links(entry.conflictsWith)
    }

    /// The largest position magnitude: 2^53, so every JSON client reads a position exactly.
    static let maxPosition: Int64 = 1 << 53

    /// A validity interval that is not reversed, a thread of 1–128 bytes without control
    /// characters, a position within ±2^53.
    package static func eventFields(validFrom: Date?, validTo: Date?, thread: String?, position: Int64?) throws {
        if let validFrom, let validTo, validTo < validFrom {
            throw MemoryStoreError.invalidArgument("valid_to is before valid_from")
        }
        if let thread {
            guard (1...128).contains(thread.utf8.count), !thread.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw MemoryStoreError.invalidArgument("thread must be 1–128 bytes without control characters")
            }
        }
        if let position, !(-maxPosition...maxPosition).contains(position) {
            throw MemoryStoreError.invalidArgument("position must be within ±2^53, got \(position)")
        }
    }

    /// Dimension, finiteness and (under cosine) a non-zero norm: the index's own checks, made
    /// first so the error names the namespace.
    static func vector(_ vector: [Float], for config: NamespaceConfig) throws {
        do {
            try VectorProblem.check(vector, for: config)
        } catch {
            throw MemoryStoreError.invalidVector(error.description)
        }
    }
}
