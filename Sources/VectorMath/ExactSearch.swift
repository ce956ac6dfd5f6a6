import CBLASShim

/// Brute-force nearest neighbours: the exact answer that HNSW approximates.
///
/// Used for ground truth, for tiny namespaces (below the HNSW flat threshold) and for
/// selective filters. Scores come from BLAS (`sgemv` for one query, `sgemm` for a batch).
public enum ExactSearch {
    /// The `k` nearest rows of a row-major `count × dimension` block to `query`.
    ///
    /// O(count·dimension) for the scores plus O(count·log k) for the selection.
    /// - Parameters:
    ///   - squaredNorms: `|row|²` per row, needed for `.l2` (computed here when `nil`).
    ///   - query: already normalised by the caller when `metric == .cosine`.
    /// - Returns: at most `k` neighbours, closest first (ties: lower row first).
    public static func topK(
        query: UnsafePointer<Float>, vectors: UnsafePointer<Float>, count: Int, dimension: Int,
        k: Int, metric: Metric, squaredNorms: UnsafePointer<Float>? = nil
    ) -> [Neighbor] {
        guard count > 0, k > 0 else { return [] }
        var dots = [Float](repeating: 0, count: count)
        dots.withUnsafeMutableBufferPointer { out in
            cblas_sgemv(
                Int32(EngramCBLASRowMajor.rawValue), Int32(EngramCBLASNoTrans.rawValue),
                Int32(count), Int32(dimension), 1, vectors, Int32(dimension), query, 1, 0,
                out.baseAddress!, 1)
        }
        let queryNorm = metric == .l2 ? Kernels.squaredNorm(query, count: dimension) : 0
        var heap = NeighborHeap(farthestOnTop: true, capacity: k + 1)
        for row in 0..<count {
            let norm: Float
            if metric == .l2 {
                norm = squaredNorms?[row] ?? Kernels.squaredNorm(vectors + row * dimension, count: dimension)
            } else {
                norm = 0
            }
            let candidate = Neighbor(
                distance: metric.distance(dot: dots[row], queryNormSquared: queryNorm, vectorNormSquared: norm),
                id: UInt32(row))
            offer(candidate, to: &heap, k: k)
        }
        var result: [Neighbor] = []
        result.reserveCapacity(heap.count)
        heap.drainSorted(into: &result)
        return result
    }

    /// Exact top-`k` for many queries at once (ground truth), scoring blocks of queries against
    /// blocks of base rows with `sgemm` so memory stays bounded (a 64 × 4096 score tile).
    ///
    /// O(queries·count·dimension). Vectors are row-major; for `.cosine` both sides must already
    /// be normalised.
    public static func batchTopK(
        queries: UnsafeBufferPointer<Float>, base: UnsafeBufferPointer<Float>, dimension: Int,
        k: Int, metric: Metric
    ) -> [[Neighbor]] {
        precondition(dimension > 0 && queries.count % dimension == 0 && base.count % dimension == 0)
        let queryCount = queries.count / dimension
        let baseCount = base.count / dimension
        guard queryCount > 0, baseCount > 0, k > 0 else { return Array(repeating: [], count: queryCount) }
        let queryBlock = 64
        let baseBlock = 4096
        var baseNorms = [Float](repeating: 0, count: metric == .l2 ? baseCount : 0)
        if metric == .l2 {
            for row in 0..<baseCount {
                baseNorms[row] = Kernels.squaredNorm(base.baseAddress! + row * dimension, count: dimension)
            }
        }
        var tile = [Float](repeating: 0, count: queryBlock * baseBlock)
        var results: [[Neighbor]] = []
        results.reserveCapacity(queryCount)
        var q0 = 0
        while q0 < queryCount {
            let qn = min(queryBlock, queryCount - q0)
            let heaps: [NeighborHeapBox] = (0..<qn).map { _ in NeighborHeapBox(capacity: k + 1) }
            var b0 = 0
            while b0 < baseCount {
                let bn = min(baseBlock, baseCount - b0)
                tile.withUnsafeMutableBufferPointer { scores in
                    // scores[qn × bn] = Q[qn × d] · B[bn × d]ᵀ
                    cblas_sgemm(
                        Int32(EngramCBLASRowMajor.rawValue), Int32(EngramCBLASNoTrans.rawValue),
                        Int32(EngramCBLASTrans.rawValue), Int32(qn), Int32(bn), Int32(dimension), 1,
                        queries.baseAddress! + q0 * dimension, Int32(dimension),
                        base.baseAddress! + b0 * dimension, Int32(dimension), 0,
                        scores.baseAddress!, Int32(bn))
                }
                for qi in 0..<qn {
                    let queryNorm = metric == .l2
                        ? Kernels.squaredNorm(queries.baseAddress! + (q0 + qi) * dimension, count: dimension) : 0
                    for bi in 0..<bn {
                        let row = b0 + bi
                        let distance = metric.distance(
                            dot: tile[qi * bn + bi], queryNormSquared: queryNorm,
                            vectorNormSquared: metric == .l2 ? baseNorms[row] : 0)
                        offer(Neighbor(distance: distance, id: UInt32(row)), to: &heaps[qi].heap, k: k)
                    }
                }
                b0 += bn
            }
            for qi in 0..<qn {
                var sorted: [Neighbor] = []
                sorted.reserveCapacity(k)
                heaps[qi].heap.drainSorted(into: &sorted)
                results.append(sorted)
            }
            q0 += qn
        }
        return results
    }

    /// Keeps the `k` closest offers in a farthest-on-top heap.
    @inlinable @inline(__always)
    public static func offer(_ candidate: Neighbor, to heap: inout NeighborHeap, k: Int) {
        if heap.count < k {
            heap.push(candidate)
        } else if Neighbor.closer(candidate, heap.top) {
            heap.replaceTop(with: candidate)
        }
    }
}

/// A class box so that non-copyable heaps can live in an array (batch ground truth only).
final class NeighborHeapBox {
    var heap: NeighborHeap
    init(capacity: Int) { heap = NeighborHeap(farthestOnTop: true, capacity: capacity) }
}
