import CBLASShim
import VectorMath

extension HNSWIndex {
    /// Largest `k` a search accepts.
    public static let maxK = 10_000

    /// The `k` nearest keys to `query`, closest first.
    /// - Parameters:
    ///   - ef: candidate list size (defaults to ``HNSWParameters/efSearch``); raised to `k` when
    ///     smaller. Larger is more exact and slower.
    ///   - rerank: under ``VectorQuantization/int8`` or `int4`, how many of the best
    ///     candidates (by their codes) are re-scored on the float vectors; defaults to all of
    ///     them (`max(ef, k)`), and is never below `k`, so returned distances are always exact.
    ///     Ignored otherwise.
    public func search(_ query: [Float], k: Int, ef: Int? = nil, rerank: Int? = nil) throws(HNSWError) -> [SearchResult] {
        var results: [SearchResult] = []
        try query.withUnsafeBufferPointer { (buffer) throws(HNSWError) in
            try search(buffer, k: k, ef: ef, rerank: rerank, into: &results)
        }
        return results
    }

    /// The `k` nearest keys to `query` among those `filter` admits, closest first.
    ///
    /// The predicate runs during traversal, so the graph search fills its `ef` results with
    /// admitted keys only; when the filter admits so few keys that an exhaustive scan of them is
    /// cheaper (estimated from a sample of 256 nodes), or when the graph search finds fewer than
    /// `k`, the admitted keys are scanned exactly. A selective filter therefore still returns the
    /// `k` true best matches.
    public func search(_ query: [Float], k: Int, ef: Int? = nil, filter: (UInt64) -> Bool) throws(HNSWError) -> [SearchResult] {
        var results: [SearchResult] = []
        try query.withUnsafeBufferPointer { (buffer) throws(HNSWError) in
            try search(buffer, k: k, ef: ef, filter: filter, into: &results)
        }
        return results
    }

    /// Allocation-free search: replaces the contents of `results` (whose capacity is kept).
    public func search(
        _ query: UnsafeBufferPointer<Float>, k: Int, ef: Int? = nil, rerank: Int? = nil, into results: inout [SearchResult]
    ) throws(HNSWError) {
        try searchCore(query, k: k, ef: ef, rerank: rerank, filtered: false, filter: { _ in true }, into: &results)
    }

    /// Allocation-free filtered search: replaces the contents of `results`.
    public func search(
        _ query: UnsafeBufferPointer<Float>, k: Int, ef: Int? = nil, filter: (UInt64) -> Bool,
        into results: inout [SearchResult]
    ) throws(HNSWError) {
        try searchCore(query, k: k, ef: ef, filtered: true, filter: filter, into: &results)
    }

    /// The exact `k` nearest keys by brute force (ground truth for tests and verification).
    public func exactSearch(_ query: [Float], k: Int, filter: ((UInt64) -> Bool)? = nil) throws(HNSWError) -> [SearchResult] {
        var results: [SearchResult] = []
        try query.withUnsafeBufferPointer { (buffer) throws(HNSWError) in
            try searchCore(buffer, k: k, ef: nil, exact: true, filtered: filter != nil, filter: filter ?? { _ in true }, into: &results)
        }
        return results
    }

    // MARK: - Core

    /// Validates the request, then answers it by the cheapest exact or graph path.
    /// - Parameter exact: always scan (brute force), whatever the size.
    @inline(__always)
    func searchCore(
        _ query: UnsafeBufferPointer<Float>, k: Int, ef: Int?, rerank: Int? = nil, exact: Bool = false, filtered: Bool,
        filter: (UInt64) -> Bool, into results: inout [SearchResult]
    ) throws(HNSWError) {
        results.removeAll(keepingCapacity: true)
        let squaredNorm = try validate(query)
        guard (1...Self.maxK).contains(k) else { throw .invalidArgument("k must be in 1...\(Self.maxK), got \(k)") }
        let ef = ef ?? parameters.efSearch
        guard (1...100_000).contains(ef) else { throw .invalidArgument("ef must be in 1...100000, got \(ef)") }
        let listSize = max(ef, k)
        if let rerank, rerank < 1 { throw .invalidArgument("rerank must be at least 1, got \(rerank)") }
        // Re-ranking fewer than k candidates would return approximate distances.
        let rerankDepth = min(max(rerank ?? listSize, k), listSize)

        try scratchPool.withScratch(nodes: 0) { (scratch) throws(HNSWError) in
            try lock.withReadLock { () throws(HNSWError) in
                let g = graph
                guard g.liveCount > 0 else { return }
                scratch.begin(nodes: g.count)
                let queryNorm = prepare(query, squaredNorm: squaredNorm, into: scratch.query)
                // A store's reader begins under the shared lock: it shows every published node.
                if let vectorSource {
                    try vectorSource.withReader { (reader) throws(HNSWError) in
                        let floats = searchFloats(reader, scratch)
                        searchLocked(g, &scratch, floats, queryNorm: queryNorm, k: k, listSize: listSize, rerank: rerankDepth,
                                     exact: exact, filtered: filtered, filter: filter, into: &results)
                    }
                } else {
                    searchLocked(g, &scratch, BlockFloats(), queryNorm: queryNorm, k: k, listSize: listSize,
                                 rerank: rerankDepth, exact: exact, filtered: filtered, filter: filter, into: &results)
                }
            }
        }
    }

    /// The body of a search, under the shared lock, with the query prepared in `scratch`.
    @inline(__always)
    func searchLocked<F: FloatVectors>(
        _ g: GraphStorage, _ scratch: inout SearchScratch, _ floats: F, queryNorm: Float, k: Int, listSize: Int,
        rerank: Int, exact: Bool, filtered: Bool, filter: (UInt64) -> Bool, into results: inout [SearchResult]
    ) {
        if exact || g.liveCount <= parameters.flatThreshold
            || filtered && exactScanIsCheaper(g, listSize: listSize, filter: filter) {
            exactScan(g, &scratch, floats, queryNorm: queryNorm, k: k, filtered: filtered, filter: filter)
        } else {
            graphSearch(g, &scratch, floats, queryNorm: queryNorm, listSize: listSize, rerank: rerank,
                        filtered: filtered, filter: filter)
            if filtered && scratch.results.count < k {
                // The graph ran out of admitted nodes: scan the admitted ones exactly.
                scratch.begin(nodes: g.count)
                exactScan(g, &scratch, floats, queryNorm: queryNorm, k: k, filtered: true, filter: filter)
            }
        }
        emit(g, &scratch, k: k, into: &results)
    }

    /// Moves the best `k` of `scratch.results` into `output`, closest first.
    @inline(__always)
    func emit(_ g: GraphStorage, _ scratch: inout SearchScratch, k: Int, into output: inout [SearchResult]) {
        while scratch.results.count > k { scratch.results.pop() }
        let start = output.count
        while !scratch.results.isEmpty {
            let best = scratch.results.pop()
            output.append(SearchResult(key: g.key(best.id), distance: best.distance))
        }
        output.reverseInPlace(from: start)  // farthest was popped first
    }

    /// Greedy descent through the upper layers, then a best-first search of layer 0. A
    /// quantized index traverses on codes and then re-scores the best `rerank` of its `listSize`
    /// candidates on the float vectors.
    @inline(__always)
    func graphSearch<F: FloatVectors>(
        _ g: GraphStorage, _ scratch: inout SearchScratch, _ floats: F, queryNorm: Float, listSize: Int, rerank: Int,
        filtered: Bool, filter: (UInt64) -> Bool
    ) {
        let scorer = QueryScorer(g, scratch, floats, queryNorm: queryNorm)
        var current = g.entryPoint
        var currentDistance = scorer.distance(g, to: current, metric: metric)
        var level = g.maxLevel
        while level > 0 {
            greedyClosest(g, scorer, level: level, from: &current, distance: &currentDistance)
            level -= 1
        }
        searchLayer(g, &scratch, scorer, entry: current, entryDistance: currentDistance,
                    level: 0, ef: listSize, excluding: NodeFlags.notReturnable, filtered: filtered, filter: filter)
        if scorer.codes != nil { rerankExactly(g, &scratch, floats, query: scratch.query, queryNorm: queryNorm, depth: rerank) }
    }

    /// Replaces the approximate distances of the best `depth` results by exact ones and drops
    /// the rest (and any whose vector cannot be read). O(depth·(dimension + log depth)).
    @inline(__always)
    func rerankExactly<F: FloatVectors>(
        _ g: GraphStorage, _ scratch: inout SearchScratch, _ floats: F, query: UnsafePointer<Float>, queryNorm: Float,
        depth: Int
    ) {
        while scratch.results.count > depth { scratch.results.pop() }
        // The candidates heap is free once the traversal ends: it holds the list meanwhile.
        scratch.candidates.removeAll()
        while !scratch.results.isEmpty { scratch.candidates.push(scratch.results.pop()) }
        while !scratch.candidates.isEmpty {
            let id = scratch.candidates.pop().id
            guard let d = floats.distance(g, query, querySquaredNorm: queryNorm, to: id, metric: metric) else { continue }
            scratch.results.push(Neighbor(distance: d, id: id))
        }
    }

    /// Moves from `current` to its closest neighbour on `level` until none is closer. O(steps·M).
    @inline(__always)
    func greedyClosest<F: FloatVectors>(
        _ g: GraphStorage, _ scorer: QueryScorer<F>, level: Int,
        from current: inout UInt32, distance currentDistance: inout Float
    ) {
        var changed = true
        while changed {
            changed = false
            let (ids, count) = g.links(current, level: level)
            for i in 0..<count {
                let candidate = ids[i]
                let d = scorer.distance(g, to: candidate, metric: metric)
                if d < currentDistance {
                    currentDistance = d
                    current = candidate
                    changed = true
                }
            }
        }
    }

    /// Best-first search of one layer (algorithm 2 of the paper), leaving the `ef` closest
    /// admitted nodes in `scratch.results`: nodes with none of the `excluding` flags that the
    /// filter accepts. Other nodes (deleted, filtered out) are still expanded so the search can
    /// pass through them. Distances are the `scorer`'s (exact, or approximate from codes).
    ///
    /// Expects `scratch.begin` to have been called.
    /// Allocation-free once the heaps have grown to `ef`.
    @inline(__always)
    func searchLayer<F: FloatVectors>(
        _ g: GraphStorage, _ scratch: inout SearchScratch, _ scorer: QueryScorer<F>, entry: UInt32,
        entryDistance: Float, level: Int, ef: Int, excluding: UInt32, filtered: Bool, filter: (UInt64) -> Bool
    ) {
        _ = scratch.checkAndMark(entry)
        scratch.candidates.push(Neighbor(distance: entryDistance, id: entry))
        if g.flags(entry) & excluding == 0 && (!filtered || filter(g.key(entry))) {
            scratch.results.push(Neighbor(distance: entryDistance, id: entry))
        }
        var bound = scratch.results.count >= ef ? scratch.results.top.distance : Float.infinity

        while !scratch.candidates.isEmpty {
            let closest = scratch.candidates.top
            if closest.distance > bound { break }
            scratch.candidates.pop()
            // Two passes: first collect the unvisited neighbours and start loading them all, so
            // their memory latencies overlap; then compute their distances.
            let (ids, count) = g.links(closest.id, level: level)
            var fresh = 0
            for i in 0..<count {
                let neighbor = ids[i]
                if scratch.checkAndMark(neighbor) { continue }
                g.prefetch(neighbor)
                scratch.batch[fresh] = neighbor
                fresh &+= 1
            }
            // Each block is fully requested two distances ahead of its turn.
            for j in stride(from: 1, to: min(fresh, Self.prefetchDistance), by: 1) { scorer.prefetch(g, scratch.batch[j]) }
            for j in 0..<fresh {
                let neighbor = scratch.batch[j]
                if j + Self.prefetchDistance < fresh { scorer.prefetch(g, scratch.batch[j + Self.prefetchDistance]) }
                let d = scorer.distance(g, to: neighbor, metric: metric)
                guard d < bound else { continue }
                scratch.candidates.push(Neighbor(distance: d, id: neighbor))
                if g.flags(neighbor) & excluding == 0 && (!filtered || filter(g.key(neighbor))) {
                    scratch.results.push(Neighbor(distance: d, id: neighbor))
                    if scratch.results.count > ef { scratch.results.pop() }
                    if scratch.results.count >= ef { bound = scratch.results.top.distance }
                }
            }
        }
    }

    /// How many distances ahead the search requests a neighbour's whole block (27 cache lines
    /// for 384-d vectors). Chosen by single-query QPS at ef=32: 4 beat shorter distances and a
    /// longer one gained nothing (see docs/performance.md#hnsw-search-and-build).
    static let prefetchDistance = 4

    // MARK: - Exact paths

    /// Brute force: a filtered scan of the admitted nodes, or one `sgemv` over all of them.
    @inline(__always)
    func exactScan<F: FloatVectors>(
        _ g: GraphStorage, _ scratch: inout SearchScratch, _ floats: F, queryNorm: Float, k: Int, filtered: Bool,
        filter: (UInt64) -> Bool
    ) {
        if filtered {
            filteredScan(g, &scratch, floats, queryNorm: queryNorm, k: k, filter: filter)
        } else if floats.inBlocks {
            flatScan(g, &scratch, queryNorm: queryNorm, k: k)
        } else {
            filteredScan(g, &scratch, floats, queryNorm: queryNorm, k: k, filter: { _ in true })
        }
    }

    /// Scores every stored vector with one `sgemv` (the blocks are evenly strided, so the
    /// vectors form a matrix with a leading dimension of `stride / 4`) and keeps the `k` best
    /// live ones. O(nodes·dimension).
    func flatScan(_ g: GraphStorage, _ scratch: inout SearchScratch, queryNorm: Float, k: Int) {
        let rows = g.count
        scratch.reserveScores(rows)
        cblas_sgemv(Int32(EngramCBLASRowMajor.rawValue), Int32(EngramCBLASNoTrans.rawValue),
                    Int32(rows), Int32(dimension), 1, g.vector(0), Int32(g.layout.stride / 4),
                    scratch.query, 1, 0, scratch.scores, 1)
        for row in 0..<rows {
            let id = UInt32(row)
            guard g.isLive(id) else { continue }
            let d = metric.distance(dot: scratch.scores[row], queryNormSquared: queryNorm, vectorNormSquared: g.squaredNorm(id))
            ExactSearch.offer(Neighbor(distance: d, id: id), to: &scratch.results, k: k)
        }
    }

    /// Scores only the live nodes that `filter` admits (and whose vector can be read). O(nodes)
    /// predicate calls plus one dot product per admitted node.
    func filteredScan<F: FloatVectors>(
        _ g: GraphStorage, _ scratch: inout SearchScratch, _ floats: F, queryNorm: Float, k: Int, filter: (UInt64) -> Bool
    ) {
        for row in 0..<g.count {
            let id = UInt32(row)
            guard g.isLive(id), filter(g.key(id)),
                  let d = floats.distance(g, scratch.query, querySquaredNorm: queryNorm, to: id, metric: metric) else { continue }
            ExactSearch.offer(Neighbor(distance: d, id: id), to: &scratch.results, k: k)
        }
    }

    /// Cost model deciding between a filtered graph search and an exact scan of the admitted
    /// nodes. With a fraction `s` of the nodes admitted, a graph search must expand about `1/s`
    /// times as many nodes as an unfiltered one (≈ `ef·M0` distances) to collect `ef` admitted
    /// results, while the scan costs `s·N` distances plus `N` predicate calls (counted as a
    /// tenth of a distance). `s` is estimated from 256 evenly spaced live nodes.
    func exactScanIsCheaper(_ g: GraphStorage, listSize: Int, filter: (UInt64) -> Bool) -> Bool {
        let samples = 256
        let step = max(1, g.count / samples)
        var seen = 0
        var admitted = 0
        var row = 0
        while row < g.count && seen < samples {
            let id = UInt32(row)
            if g.isLive(id) {
                seen += 1
                if filter(g.key(id)) { admitted += 1 }
            }
            row += step
        }
        guard seen > 0, admitted > 0 else { return true }
        let fraction = Double(admitted) / Double(seen)
        let nodes = Double(g.liveCount)
        let scanCost = fraction * nodes + 0.1 * nodes
        let graphCost = Double(listSize * g.layout.maxLinksLayer0) / fraction
        return scanCost < graphCost
    }
}

extension HNSWIndex {
    /// The distance from `query` to each of `nodes` (a key and the slot the caller believes
    /// holds it, e.g. from a stored entry), or `nil` where that slot does not hold that key
    /// now. Hybrid search scores this way the entries the lexical ranking found and the graph
    /// search did not. O(nodes·dimension), under the shared lock; no key lookup table needed.
    public func distances(_ query: [Float], nodes: [(key: UInt64, slot: UInt32)]) throws(HNSWError) -> [Float?] {
        guard !nodes.isEmpty else { return [] }
        let squaredNorm = try query.withUnsafeBufferPointer { (buffer) throws(HNSWError) in try validate(buffer) }
        var distances = [Float?](repeating: nil, count: nodes.count)
        try scratchPool.withScratch(nodes: 0) { (scratch) throws(HNSWError) in
            try lock.withReadLock { () throws(HNSWError) in
                let g = graph
                let queryNorm = query.withUnsafeBufferPointer { prepare($0, squaredNorm: squaredNorm, into: scratch.query) }
                func score(_ floats: some FloatVectors) {
                    for (offset, node) in nodes.enumerated()
                    where Int(node.slot) < g.count && g.isLive(node.slot) && g.key(node.slot) == node.key {
                        distances[offset] = floats.distance(g, scratch.query, querySquaredNorm: queryNorm, to: node.slot, metric: metric)
                    }
                }
                if let vectorSource {
                    try vectorSource.withReader { (reader) throws(HNSWError) in score(searchFloats(reader, scratch)) }
                } else {
                    score(BlockFloats())
                }
            }
        }
        return distances
    }
}

/// How a traversal scores nodes: exact float dot products with the prepared query, or, once a
/// quantized index has trained its codes, the integer kernel on the codes. Built once per
/// search; a plain value of pointers, so the loop holds it in registers.
struct QueryScorer<F: FloatVectors> {
    let query: UnsafePointer<Float>
    let squaredNorm: Float
    /// Set when the traversal scores codes.
    let codes: QuantizedQuery?
    /// Where exact distances read the float vectors.
    let floats: F

    /// Prepares `scratch.query` (already in stored form) for `g`: codes when `g` has a trained
    /// quantizer. O(dimension).
    @inline(__always)
    init(_ g: GraphStorage, _ scratch: borrowing SearchScratch, _ floats: F, queryNorm: Float) {
        self.init(g, floats, query: scratch.query, queryNorm: queryNorm, weights: scratch.weights)
    }

    /// Exact float scoring of `query`, whatever the index.
    @inline(__always)
    init(exact query: UnsafePointer<Float>, _ floats: F, queryNorm: Float) {
        self.query = query
        squaredNorm = queryNorm
        codes = nil
        self.floats = floats
    }

    /// Prepares `query` (in stored form), writing its code weights to `weights` when `g` has a
    /// trained quantizer.
    @inline(__always)
    init(_ g: GraphStorage, _ floats: F, query: UnsafePointer<Float>, queryNorm: Float, weights: UnsafeMutablePointer<Int8>) {
        self.query = query
        squaredNorm = queryNorm
        self.floats = floats
        if let quantizer = g.quantizer, let terms = quantizer.prepare(query, weights: weights) {
            codes = QuantizedQuery(weights: weights, bias: terms.bias, scale: terms.scale, squaredNorm: queryNorm,
                                   kernel: quantizer.packed ? QuantizedKernel.dot4 : QuantizedKernel.dot)
        } else {
            codes = nil
        }
    }

    /// The node's distance; infinite for a node whose float vector cannot be read, which a
    /// traversal therefore never takes.
    @inline(__always)
    func distance(_ g: GraphStorage, to id: UInt32, metric: Metric) -> Float {
        if let codes { return g.approximateDistance(codes, to: id, metric: metric) }
        return floats.distance(g, query, querySquaredNorm: squaredNorm, to: id, metric: metric) ?? .infinity
    }

    /// Starts loading what ``distance(_:to:metric:)`` will read of `id`.
    @inline(__always)
    func prefetch(_ g: GraphStorage, _ id: UInt32) {
        if codes != nil || !floats.inBlocks { g.prefetchCodes(id) } else { g.prefetchBlock(id) }
    }
}
