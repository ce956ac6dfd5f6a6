#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import HNSW
import MemoryStore
public import VectorMath

/// A namespace's configuration and live figures.
public struct NamespaceStats: Sendable, Equatable {
    public var name: String
    public var dimension: Int
    public var metric: Metric
    public var parameters: HNSWParameters
    public var embedderID: String?
    public var createdAt: Date
    /// Live entries (expired ones not yet purged included).
    public var entryCount: Int
    public var deletedNodes: Int
    public var freeSlots: Int
    public var maxLevel: Int
    /// Bytes the index holds in memory.
    public var indexBytes: Int
    public var lexical: LexicalOptions
    public var search: SearchDefaults
    public var learning: LearningPolicy
    /// Distinct terms in the lexical index.
    public var lexicalTerms: Int
    /// Bytes the lexical index holds in memory (approximate).
    public var lexicalBytes: Int
    /// Whether searches traverse 8-bit codes now (see ``HNSWParameters/quantization``).
    public var traversesCodes: Bool
    /// Whether the index holds its float vectors in memory (`MemoryStoreOptions.vectorsInMemory`).
    public var vectorsInMemory: Bool

    init(_ info: NamespaceInfo) {
        name = info.config.name
        dimension = info.config.dimension
        metric = info.config.metric
        parameters = info.config.parameters
        embedderID = info.config.embedderID
        createdAt = info.config.createdAt
        entryCount = info.entryCount
        deletedNodes = info.index.deletedNodes
        freeSlots = info.index.freeSlots
        maxLevel = info.index.maxLevel
        indexBytes = info.index.allocatedBytes
        lexical = info.config.lexical
        search = info.config.search
        learning = info.config.learning
        lexicalTerms = info.lexicalTerms
        lexicalBytes = info.lexicalBytes
        traversesCodes = info.index.traversesCodes
        vectorsInMemory = info.index.vectorsInMemory
    }

}

/// The outcome of `purgeExpired`.
public struct PurgeOutcome: Sendable, Equatable {
    /// Entries deleted with an `expired` event.
    public var purged: Int
    /// Sequence of the last event written, or `nil` when nothing was purged.
    public var lastSequence: UInt64?
    /// Whether expired entries remain (the limit was reached).
    public var more: Bool
}
