import VectorMath

/// Recall against exact answers, the same definition as the dataset README and the ANN
/// runner: per query |first k result ids ∩ first k truth ids| / k, averaged over queries.
enum Recall {
    /// - Precondition: `results.count == truth.count`.
    static func at(_ k: Int, results: [[UInt64]], truth: [[UInt64]]) -> Double {
        precondition(results.count == truth.count)
        guard !results.isEmpty, k > 0 else { return 0 }
        var hits = 0
        for (found, expected) in zip(results, truth) {
            let wanted = Set(expected.prefix(k))
            hits += found.prefix(k).reduce(0) { $0 + (wanted.contains($1) ? 1 : 0) }
        }
        return Double(hits) / Double(results.count * k)
    }

    /// The dataset's ground truth (`gt.ivecs` rows are base rows) as entry ids.
    static func datasetTruth(_ dataset: Dataset, idOfRow: [UInt64], k: Int) -> [[UInt64]] {
        (0..<dataset.queries.count).map { q in dataset.truth[q].prefix(k).map { idOfRow[$0] } }
    }

    /// Exact top-`k` entry ids of every query over `live` (id → vector), by brute force with
    /// VectorMath's `sgemm` batch search. Cosine: both sides are normalised first, as the index
    /// does. O(queries · live · dimension).
    static func exactTruth(queries: VectorFile.Matrix<Float>, live: [UInt64: [Float]], k: Int,
                           metric: Metric) -> [[UInt64]] {
        let ids = live.keys.sorted()
        let d = queries.dimension
        var base = [Float]()
        base.reserveCapacity(ids.count * d)
        for id in ids {
            let vector = live[id]!
            base += metric == .cosine ? Kernels.normalized(vector) : vector
        }
        var query = [Float]()
        query.reserveCapacity(queries.values.count)
        for q in 0..<queries.count {
            let row = Array(queries.row(q))
            query += metric == .cosine ? Kernels.normalized(row) : row
        }
        let neighbours = query.withUnsafeBufferPointer { q in
            base.withUnsafeBufferPointer { b in ExactSearch.batchTopK(queries: q, base: b, dimension: d, k: k, metric: metric) }
        }
        return neighbours.map { $0.map { ids[Int($0.id)] } }
    }
}
