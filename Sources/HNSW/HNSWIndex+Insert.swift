import Foundation
import VectorMath

/// A neighbour list the writer has prepared and will publish under the exclusive lock.
struct PendingLinks {
    var node: UInt32
    var level: Int
    var links: [UInt32]
}

extension HNSWIndex {
    /// Adds `vector` under `key`. O(efConstruction·M·log N) distance computations.
    /// - Throws: ``HNSWError/duplicateKey(_:)`` when `key` is present; validation errors for a
    ///   wrong dimension, NaN/Inf components, or a zero vector under cosine.
    public func insert(_ vector: [Float], key: UInt64) throws(HNSWError) {
        try vector.withUnsafeBufferPointer { (buffer) throws(HNSWError) in
            try insert(buffer, key: key)
        }
    }

    public func insert(_ vector: UnsafeBufferPointer<Float>, key: UInt64) throws(HNSWError) {
        let squaredNorm = try validate(vector)
        try writer.withLock { (state) throws(HNSWError) in
            guard state.nodeOfKey[key] == nil else { throw .duplicateKey(key) }
            try add(vector, squaredNorm: squaredNorm, key: key, replacing: nil, state: &state)
        }
    }

    /// Replaces the vector of `key`. The new vector is linked into the graph before the old one
    /// is retired, in one publication: a concurrent search sees the old or the new vector,
    /// never neither and never both.
    public func update(_ vector: [Float], key: UInt64) throws(HNSWError) {
        let squaredNorm = try vector.withUnsafeBufferPointer { (buffer) throws(HNSWError) in try validate(buffer) }
        try vector.withUnsafeBufferPointer { (buffer) throws(HNSWError) in
            try writer.withLock { (state) throws(HNSWError) in
                guard let old = state.nodeOfKey[key] else { throw .keyNotFound(key) }
                try add(buffer, squaredNorm: squaredNorm, key: key, replacing: old, state: &state)
            }
        }
    }

    /// Inserts, or updates when `key` exists.
    public func upsert(_ vector: [Float], key: UInt64) throws(HNSWError) {
        if contains(key) { try update(vector, key: key) } else { try insert(vector, key: key) }
    }

    /// The writer's insertion (algorithm 1 of the paper). Runs with `writer` held.
    func add(
        _ vector: UnsafeBufferPointer<Float>, squaredNorm: Float, key: UInt64, replacing old: UInt32?,
        state: inout WriterState
    ) throws(HNSWError) {
        let level = randomLevel(&state.random)
        let slot: UInt32
        if let free = state.freeSlots.popLast() {
            slot = free
        } else {
            guard graph.count < Int(UInt32.max - 1) else { throw .capacityExceeded }
            slot = UInt32(graph.count)
        }

        // 1. Store the vector in its slot, flagged free so that no search returns it yet.
        let prepared = state.scratch.query
        let storedNorm = prepare(vector, squaredNorm: squaredNorm, into: prepared)
        lock.withWriteLock {
            let fresh = Int(slot) == graph.count
            if fresh {
                graph.reserve(nodes: graph.count + 1)
                graph.count += 1
            }
            graph.writeNode(slot, fresh: fresh, key: key, vector: prepared, squaredNorm: storedNorm, level: level, flags: NodeFlags.free)
        }

        // 2. Choose its neighbours and the neighbours' new lists, while searches go on.
        var pending: [PendingLinks] = []
        let g = graph
        if g.entryPoint != noNode {
            let query = UnsafePointer(g.vector(slot))
            var current = g.entryPoint
            var currentDistance = g.distance(query, querySquaredNorm: storedNorm, to: current, metric: metric)
            var l = g.maxLevel
            while l > level {
                greedyClosest(g, query: query, queryNorm: storedNorm, level: l, from: &current, distance: &currentDistance)
                l -= 1
            }
            for l in stride(from: min(level, g.maxLevel), through: 0, by: -1) {
                state.scratch.begin(nodes: g.count)
                state.scratch.query.update(from: query, count: dimension)
                searchLayer(g, &state.scratch, queryNorm: storedNorm, entry: current, entryDistance: currentDistance,
                            level: l, ef: parameters.efConstruction, filtered: false, filter: { _ in true })
                var candidates: [Neighbor] = []
                candidates.reserveCapacity(state.scratch.results.count)
                state.scratch.results.drainSorted(into: &candidates)
                let chosen = selectNeighbors(g, from: candidates, limit: parameters.m)
                pending.append(PendingLinks(node: slot, level: l, links: chosen.map(\.id)))
                for neighbor in chosen {
                    pending.append(PendingLinks(
                        node: neighbor.id, level: l,
                        links: linksAfterAdding(g, slot, toListOf: neighbor.id, distance: neighbor.distance, level: l)))
                }
                if let nearest = candidates.first {
                    current = nearest.id
                    currentDistance = nearest.distance
                }
            }
        }

        // 3. Publish.
        lock.withWriteLock {
            for change in pending {
                change.links.withUnsafeBufferPointer { graph.setLinks(change.node, level: change.level, $0) }
            }
            graph.setFlags(slot, 0)
            graph.liveCount += 1
            if level > graph.maxLevel {
                graph.maxLevel = level
                graph.entryPoint = slot
            }
            if let old {
                graph.setFlags(old, NodeFlags.deleted)
                graph.liveCount -= 1
                graph.deletedCount += 1
            }
        }
        state.nodeOfKey[key] = slot
        #if ENGRAM_INVARIANTS
        for change in pending { checkList(change.node, level: change.level) }
        #endif
        if old != nil { consolidateIfNeeded(state: &state) }
    }

    /// Draws a level with P(level ≥ l) = M^-l (mL = 1/ln M), capped at 30.
    func randomLevel(_ random: inout SplitMix64) -> Int {
        // Uniform in (0, 1]: never 0, so the logarithm is finite.
        let uniform = Double(random.next() >> 11 + 1) / Double(1 << 53)
        return min(Int(-Foundation.log(uniform) * parameters.levelMultiplier), 30)
    }

    /// Malkov's neighbour-selection heuristic (algorithm 4, as in hnswlib: no extension of the
    /// candidate set, pruned candidates dropped): walking the candidates from the closest, keep
    /// one only if it is closer to the base than to every one kept so far. This favours links
    /// in diverse directions, which keeps clustered data navigable.
    ///
    /// O(|candidates|·limit) distance computations.
    /// - Parameter candidates: sorted closest first; distances are to the base node.
    func selectNeighbors(_ g: GraphStorage, from candidates: [Neighbor], limit: Int) -> [Neighbor] {
        if candidates.count <= limit { return candidates }
        var chosen: [Neighbor] = []
        chosen.reserveCapacity(limit)
        for candidate in candidates {
            if chosen.count == limit { break }
            var diverse = true
            for kept in chosen where g.distance(between: candidate.id, kept.id, metric: metric) < candidate.distance {
                diverse = false
                break
            }
            if diverse { chosen.append(candidate) }
        }
        return chosen
    }

    /// The list of `node` on `level` once `newNode` (at `distance`) links to it: appended while
    /// there is room, otherwise re-selected by the heuristic among the old links and the new one.
    func linksAfterAdding(_ g: GraphStorage, _ newNode: UInt32, toListOf node: UInt32, distance: Float, level: Int) -> [UInt32] {
        let (ids, count) = g.links(node, level: level)
        let limit = g.maxLinks(level: level)
        var current = Array(UnsafeBufferPointer(start: ids, count: count))
        if count < limit {
            current.append(newNode)
            return current
        }
        var candidates = current.map { Neighbor(distance: g.distance(between: node, $0, metric: metric), id: $0) }
        candidates.append(Neighbor(distance: distance, id: newNode))
        candidates.sort(by: Neighbor.closer)
        return selectNeighbors(g, from: candidates, limit: limit).map(\.id)
    }
}
