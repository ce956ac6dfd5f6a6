import Foundation

/// Construction and search parameters of an ``HNSWIndex``.
///
/// Defaults follow hnswlib's common settings for 384-dimensional text embeddings.
public struct HNSWParameters: Sendable, Codable, Equatable {
    /// Links per node on the upper layers (`M`); layer 0 keeps `2·M` (`M0`).
    public var m: Int
    /// Candidate list size while inserting (`efConstruction`).
    public var efConstruction: Int
    /// Default candidate list size for searches that do not pass `ef`.
    public var efSearch: Int
    /// Below this many live vectors a search scans them all (exact, and as fast at that size).
    /// The graph is still maintained, so crossing the threshold needs no rebuild.
    public var flatThreshold: Int
    /// Tombstones are consolidated (neighbour lists repaired, slots freed for reuse) once they
    /// make up this fraction of the nodes.
    public var consolidationFraction: Double
    /// Seed of the level generator, for reproducible graphs.
    public var seed: UInt64
    /// What the graph traversal scores: the float vectors, or 8-bit codes re-ranked on the
    /// floats (see ``VectorQuantization``). New indexes use codes: on text embeddings they
    /// search and build faster at the same recall (docs/performance.md#quantized-traversal),
    /// for one byte per dimension more memory. Parameters stored before quantization existed
    /// decode as `.none`.
    public var quantization: VectorQuantization

    public init(
        m: Int = 16, efConstruction: Int = 200, efSearch: Int = 64, flatThreshold: Int = 1024,
        consolidationFraction: Double = 0.1, seed: UInt64 = 0x5eed_e4a1_2024,
        quantization: VectorQuantization = .int8
    ) {
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.flatThreshold = flatThreshold
        self.consolidationFraction = consolidationFraction
        self.seed = seed
        self.quantization = quantization
    }

    private enum CodingKeys: String, CodingKey {
        case m, efConstruction, efSearch, flatThreshold, consolidationFraction, seed, quantization
    }

    /// Decodes parameters stored by any version: those written before quantization existed
    /// have none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        m = try c.decode(Int.self, forKey: .m)
        efConstruction = try c.decode(Int.self, forKey: .efConstruction)
        efSearch = try c.decode(Int.self, forKey: .efSearch)
        flatThreshold = try c.decode(Int.self, forKey: .flatThreshold)
        consolidationFraction = try c.decode(Double.self, forKey: .consolidationFraction)
        seed = try c.decode(UInt64.self, forKey: .seed)
        quantization = try c.decodeIfPresent(VectorQuantization.self, forKey: .quantization) ?? .none
    }

    /// Links per node on layer 0 (`M0 = 2·M`).
    public var maxLinksLayer0: Int { 2 * m }

    /// Level multiplier `mL = 1 / ln M` of the HNSW paper.
    public var levelMultiplier: Double { 1 / Foundation.log(Double(m)) }

    /// Checks the ranges the index relies on.
    public func validate() throws(HNSWError) {
        guard (2...255).contains(m) else { throw .invalidParameter("m must be in 2...255, got \(m)") }
        guard (1...100_000).contains(efConstruction) else {
            throw .invalidParameter("efConstruction must be in 1...100000, got \(efConstruction)")
        }
        guard (1...100_000).contains(efSearch) else {
            throw .invalidParameter("efSearch must be in 1...100000, got \(efSearch)")
        }
        guard flatThreshold >= 0, flatThreshold <= Int(UInt32.max) else {
            throw .invalidParameter("flatThreshold must be in 0...\(UInt32.max)")
        }
        guard consolidationFraction > 0, consolidationFraction <= 1 else {
            throw .invalidParameter("consolidationFraction must be in (0, 1]")
        }
    }
}

/// Errors of the index. Each carries a message fit for an API error response.
public enum HNSWError: Error, Equatable, CustomStringConvertible {
    case invalidParameter(String)
    case dimensionMismatch(expected: Int, got: Int)
    case nonFiniteComponent(index: Int)
    case zeroVector
    case duplicateKey(UInt64)
    case keyNotFound(UInt64)
    case invalidArgument(String)
    case capacityExceeded
    /// A prescribed slot (``HNSWWriteBatch/insert(_:key:slot:)``) holds a node.
    case slotInUse(UInt32)
    /// The ``HNSWVectorSource`` of an index that reads its vectors from a store failed.
    case vectorSourceUnavailable(String)

    public var description: String {
        switch self {
        case .invalidParameter(let message): return "invalid HNSW parameter: \(message)"
        case .dimensionMismatch(let expected, let got):
            return "vector has dimension \(got), the index expects \(expected)"
        case .nonFiniteComponent(let index): return "vector component \(index) is NaN or infinite"
        case .zeroVector: return "a zero vector has no direction and cannot be compared by cosine"
        case .duplicateKey(let key): return "key \(key) is already in the index"
        case .keyNotFound(let key): return "key \(key) is not in the index"
        case .invalidArgument(let message): return message
        case .capacityExceeded: return "the index cannot hold more than 2^32 - 2 nodes"
        case .slotInUse(let slot): return "slot \(slot) already holds a node"
        case .vectorSourceUnavailable(let message): return "the index's vector store cannot be read: \(message)"
        }
    }
}

/// One search hit: the caller's key and the distance (smaller is closer, see ``Metric``).
public struct SearchResult: Sendable, Equatable, Hashable {
    public var key: UInt64
    public var distance: Float

    public init(key: UInt64, distance: Float) {
        self.key = key
        self.distance = distance
    }
}
