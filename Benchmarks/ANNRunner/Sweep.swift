import HNSW
import VectorMath

/// One ef value's queries against a built index: the timed pass (latencies, recall@1 and
/// @10 from the same results) and an untimed pass at k = 100 for recall@100.
struct Sweep {
    let index: HNSWIndex
    let queries: VectorFile.Matrix<Float>
    let truth: VectorFile.Matrix<Int32>
    let k: Int
    /// Re-rank depth under quantization (`nil`: every candidate).
    let rerank: Int?

    struct Timed {
        var latencies: [UInt64]
        var seconds: Double
        var recall1: Double
        var recall10: Double
    }

    /// Every query alone, timed, after 50 warm-up queries. The loop only searches and copies
    /// the result keys into a preallocated buffer (no allocation, no recall bookkeeping inside
    /// the timed region); recall is computed afterwards.
    func timedPass(ef: Int, traceAllocations: Bool) throws -> Timed {
        let d = queries.dimension
        let n = queries.count
        var results: [SearchResult] = []
        results.reserveCapacity(max(k, 256))
        var found = [UInt64](repeating: UInt64.max, count: n * k)
        var latencies = [UInt64](repeating: 0, count: n)
        var seconds = 0.0
        try queries.values.withUnsafeBufferPointer { all in
            for q in 0..<min(50, n) {  // warm-up: caches, scratch pool, branch predictors
                try index.search(UnsafeBufferPointer(rebasing: all[q * d ..< (q + 1) * d]), k: k, ef: ef, rerank: rerank, into: &results)
            }
            try found.withUnsafeMutableBufferPointer { keys in
                try latencies.withUnsafeMutableBufferPointer { times in
                    if traceAllocations { mtrace() }
                    let start = monotonicNanos()
                    for q in 0..<n {
                        let t0 = monotonicNanos()
                        try index.search(UnsafeBufferPointer(rebasing: all[q * d ..< (q + 1) * d]), k: k, ef: ef, rerank: rerank, into: &results)
                        times[q] = monotonicNanos() - t0
                        for (slot, result) in results.prefix(k).enumerated() { keys[q * k + slot] = result.key }
                    }
                    seconds = Double(monotonicNanos() - start) / 1e9
                    if traceAllocations { muntrace() }
                }
            }
        }
        let rows = (0..<n).map { q in Array(found[q * k ..< q * k + k]) }
        let expected = (0..<n).map { q in truth.row(q).map { UInt64($0) } }
        return Timed(latencies: latencies, seconds: seconds,
                     recall1: Measurement.recall(at: 1, results: rows, truth: expected),
                     recall10: Measurement.recall(at: 10, results: rows, truth: expected))
    }

    /// Recall@100 of k = 100 searches with beam max(ef, 100) (a beam narrower than k cannot
    /// return k results), untimed.
    func recallAt100(ef: Int) throws -> Double {
        let d = queries.dimension
        var results: [SearchResult] = []
        var rows: [[UInt64]] = []
        try queries.values.withUnsafeBufferPointer { all in
            for q in 0..<queries.count {
                try index.search(UnsafeBufferPointer(rebasing: all[q * d ..< (q + 1) * d]), k: 100, ef: max(ef, 100),
                                 rerank: rerank, into: &results)
                rows.append(results.map(\.key))
            }
        }
        let expected = (0..<queries.count).map { q in truth.row(q).map { UInt64($0) } }
        return Measurement.recall(at: 100, results: rows, truth: expected)
    }
}
