import Foundation
import HNSW
import VectorMath

/// Deterministic test vectors.
struct TestData {
    /// Gaussian clusters: `count` points around `clusters` random centres, each coordinate of a
    /// point the centre's plus noise. Clustered data is where a graph without the neighbour
    /// heuristic loses recall, so it is the harder case for the index.
    static func clustered(count: Int, dimension: Int, clusters: Int, spread: Float = 0.35, seed: UInt64) -> [[Float]] {
        var random = TestRandom(seed: seed)
        let centres = (0..<clusters).map { _ in (0..<dimension).map { _ in random.gaussian() } }
        return (0..<count).map { i in
            let centre = centres[i % clusters]
            return centre.map { $0 + spread * random.gaussian() }
        }
    }

    static func uniform(count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var random = TestRandom(seed: seed)
        return (0..<count).map { _ in (0..<dimension).map { _ in random.gaussian() } }
    }

    /// Rows `0..<limit` of the development dataset, when `../shared` is beside the checkout.
    static func devDataset(limit: Int) -> (base: [[Float]], queries: [[Float]])? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.deletingLastPathComponent().appendingPathComponent("shared/datasets/pypi-20k")
        guard let base = try? VectorFile.readFloats(directory.appendingPathComponent("base.fvecs").path, limit: limit),
              let queries = try? VectorFile.readFloats(directory.appendingPathComponent("queries.fvecs").path, limit: 200)
        else { return nil }
        return ((0..<base.count).map { Array(base.row($0)) }, (0..<queries.count).map { Array(queries.row($0)) })
    }

    static var devDatasetAvailable: Bool { devDataset(limit: 1) != nil }
}

/// xorshift-based generator with a Box–Muller Gaussian, reproducible across platforms.
struct TestRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9e37_79b9 : seed }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func gaussian() -> Float {
        let u1 = max(Double.random(in: 0..<1, using: &self), 1e-12)
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}

/// Recall@k of an index against brute force over the same index's live vectors.
func recall(_ index: HNSWIndex, queries: [[Float]], k: Int, ef: Int, filter: ((UInt64) -> Bool)? = nil) throws -> Double {
    var hits = 0
    var total = 0
    for query in queries {
        let exact = try index.exactSearch(query, k: k, filter: filter)
        let approximate = try filter.map { try index.search(query, k: k, ef: ef, filter: $0) } ?? index.search(query, k: k, ef: ef)
        let expected = Set(exact.map(\.key))
        hits += approximate.filter { expected.contains($0.key) }.count
        total += exact.count
    }
    return total == 0 ? 1 : Double(hits) / Double(total)
}

func makeIndex(_ vectors: [[Float]], metric: Metric = .cosine, parameters: HNSWParameters = HNSWParameters(flatThreshold: 0), firstKey: UInt64 = 0) throws -> HNSWIndex {
    let index = try HNSWIndex(dimension: vectors[0].count, metric: metric, parameters: parameters)
    for (i, vector) in vectors.enumerated() { try index.insert(vector, key: firstKey + UInt64(i)) }
    return index
}
