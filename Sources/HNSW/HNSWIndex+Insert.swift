import Foundation
import VectorMath

/// A neighbour list the writer has prepared and will publish under the exclusive lock.
struct PendingLinks {
    var node: UInt32
    var level: Int
    var links: [UInt32]
}

extension HNSWIndex {
    /// Adds `vector` under `key`, visible to searches when this returns.
    /// O(efConstruction·M·log N) distance computations.
    /// - Throws: ``HNSWError/duplicateKey(_:)`` when `key` is present; validation errors for a
    ///   wrong dimension, NaN/Inf components, or a zero vector under cosine.
    public func insert(_ vector: [Float], key: UInt64) throws(HNSWError) {
        try vector.withUnsafeBufferPointer { (buffer) throws(HNSWError) in try insert(buffer, key: key) }
    }

    public func insert(_ vector: UnsafeBufferPointer<Float>, key: UInt64) throws(HNSWError) {
        try writeOne { (batch) throws(HNSWError) in try batch.insert(vector, key: key) }
    }

    /// Replaces the vector of `key`. The new vector is linked into the graph before the old one
    /// is retired, in one publication: a concurrent search sees the old or the new vector,
    /// never neither and never both.
    public func update(_ vector: [Float], key: UInt64) throws(HNSWError) {
        try writeOne { (batch) throws(HNSWError) in try batch.update(vector, key: key) }
        consolidateIfNeeded()
    }

    /// Inserts, or updates when `key` exists.
    public func upsert(_ vector: [Float], key: UInt64) throws(HNSWError) {
        try writeOne { (batch) throws(HNSWError) in
            if nodeOfKey[key] == nil { try batch.insert(vector, key: key) } else { try batch.update(vector, key: key) }
        }
        consolidateIfNeeded()
    }

    /// A one-operation batch with a typed error.
    func writeOne(_ body: (inout HNSWWriteBatch) throws(HNSWError) -> Void) throws(HNSWError) {
        do {
            try write { batch in try body(&batch) }
        } catch let error as HNSWError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// The writer's insertion (algorithm 1 of the paper), as part of `batch`, into the lowest
    /// free slot, a new one, or the `prescribed` one. Writer lock held.
    func add(
        _ vector: UnsafeBufferPointer<Float>, squaredNorm: Float, key: UInt64, slot prescribed: UInt32? = nil,
        storedForm: Bool = false, batch: inout HNSWWriteBatch
    ) throws(HNSWError) {
        let slot: UInt32
        if let prescribed {
            // A prescribed slot comes from a stored entry: one whose graph this machine could not
            // hold (a damaged or handcrafted record) is refused before anything grows for it.
            guard prescribed < UInt32.max - 1,
                  Int(prescribed) <= HNSWIndex.physicalMemoryBytes / graph.layout.stride else { throw .capacityExceeded }
            if Int(prescribed) < graph.count {
                guard graph.flags(prescribed) & NodeFlags.free != 0, let at = freeSlots.lastIndex(of: prescribed) else {
                    throw .slotInUse(prescribed)
                }
                freeSlots.remove(at: at)
            }
            slot = prescribed
        } else if let free = freeSlots.popLast() {
            slot = free
        } else {
            guard graph.count < Int(UInt32.max - 1) else { throw .capacityExceeded }
            slot = UInt32(graph.count)
        }
        let level = randomLevel()
        trainQuantizerIfDue()

        // 1. Store the vector in its slot, pending: linked below, returned only after commit.
        let prepared = writerScratch.query
        let storedNorm: Float
        if storedForm {
            prepared.update(from: vector.baseAddress!, count: dimension)
            storedNorm = squaredNorm
        } else {
            storedNorm = prepare(vector, squaredNorm: squaredNorm, into: prepared)
        }
        let fresh = Int(slot) >= graph.count
        // Slots a prescribed insert skips over become free slots (empty payload).
        let skipped = fresh ? graph.count..<Int(slot) : 0..<0
        let zeros = skipped.isEmpty ? [] : [Float](repeating: 0, count: dimension)
        // Growing copies the nodes while searches go on; only the switch is exclusive.
        let grown = fresh ? graph.grownBlocks(toHold: Int(slot) + 1) : nil
        var coded = true
        let retired = lock.withWriteLock { () -> (blocks: UnsafeMutableRawPointer, capacity: Int)? in
            let old = grown.flatMap { graph.adoptBlocks($0) }
            for hole in skipped {
                graph.count += 1
                _ = zeros.withUnsafeBufferPointer {
                    graph.writeNode(UInt32(hole), fresh: true, key: 0, vector: $0.baseAddress!, squaredNorm: 0, level: 0,
                                    flags: NodeFlags.free)
                }
            }
            if fresh { graph.count += 1 }
            coded = graph.writeNode(slot, fresh: fresh, key: key, vector: prepared, squaredNorm: storedNorm, level: level,
                                    flags: NodeFlags.pending)
            return old
        }
        // Without floats in the blocks, the writer keeps this one until its store has it.
        pendingVectors?.set(prepared, for: slot)
        if let retired { BlockMapping.unmap(retired.blocks, capacity: retired.capacity, stride: graph.layout.stride) }
        for hole in skipped {
            batch.appended.append(UInt32(hole))
        }
        // Reuse low slots first (popLast takes from the end).
        freeSlots.append(contentsOf: skipped.reversed().map { UInt32($0) })
        batch.record(.slot(slot))
        if fresh { batch.appended.append(slot) }
        batch.inserted.append(slot)
        batch.written.append(slot)
        batch.touched.insert(slot)
        batch.record(.key(key, previous: nodeOfKey[key]))
        nodeOfKey[key] = slot

        // 2. Choose its neighbours and the neighbours' new lists, while searches go on. A vector
        // its codes misrepresent would find its neighbours by a distorted measure: it is linked
        // by float distances, and counts towards retraining the codes.
        if !coded { poorlyCodedSinceTraining += 1 }
        let pending: [PendingLinks]
        if let vectorSource {
            pending = try vectorSource.withReader { (reader) throws(HNSWError) in
                chooseLinks(for: slot, level: level, squaredNorm: storedNorm, floats: writerFloats(reader), byCodes: coded)
            }
        } else {
            pending = chooseLinks(for: slot, level: level, squaredNorm: storedNorm, floats: BlockFloats(), byCodes: coded)
        }

        // 3. Publish the links (the node stays pending until the batch commits).
        lock.withWriteLock {
            for change in pending { setLinks(change.node, level: change.level, change.links, batch: &batch) }
            if level > graph.maxLevel {
                batch.record(.entryPoint(graph.entryPoint, maxLevel: graph.maxLevel))
                graph.maxLevel = level
                graph.entryPoint = slot
            }
        }
    }

    /// Neighbour lists for a node being inserted at `slot` on levels `0...level`, and the updated
    /// lists of the nodes it links to. Reads the graph without the lock: only the writer mutates it.
    /// - Parameters:
    ///   - floats: where exact distances read vectors; it must hold the new node's (pending).
    ///   - byCodes: find the candidates on codes when the index has them.
    func chooseLinks<F: FloatVectors>(
        for slot: UInt32, level: Int, squaredNorm: Float, floats: F, byCodes: Bool = true
    ) -> [PendingLinks] {
        var pending: [PendingLinks] = []
        let g = graph
        guard g.entryPoint != noNode, let query = floats.vector(g, slot) else { return pending }
        // A quantized index finds the candidates on codes too, and re-scores them exactly
        // before choosing links: the heuristic compares exact distances.
        let scorer = byCodes ? QueryScorer(g, floats, query: query, queryNorm: squaredNorm, weights: writerScratch.weights)
            : QueryScorer(exact: query, floats, queryNorm: squaredNorm)
        var current = g.entryPoint
        var currentDistance = scorer.distance(g, to: current, metric: metric)
        var l = g.maxLevel
        while l > level {
            greedyClosest(g, scorer, level: l, from: &current, distance: &currentDistance)
            l -= 1
        }
        for l in stride(from: min(level, g.maxLevel), through: 0, by: -1) {
            writerScratch.begin(nodes: g.count)
            _ = writerScratch.checkAndMark(slot)
            searchLayer(g, &writerScratch, scorer, entry: current, entryDistance: currentDistance,
                        level: l, ef: parameters.efConstruction, excluding: NodeFlags.notLinkable,
                        filtered: false, filter: { _ in true })
            if scorer.codes != nil {
                rerankExactly(g, &writerScratch, floats, query: query, queryNorm: squaredNorm, depth: parameters.efConstruction)
            }
            var candidates: [Neighbor] = []
            candidates.reserveCapacity(writerScratch.results.count)
            writerScratch.results.drainSorted(into: &candidates)
            let chosen = selectNeighbors(g, floats, from: candidates, limit: parameters.m)
            pending.append(PendingLinks(node: slot, level: l, links: chosen.map(\.id)))
            for neighbor in chosen {
                pending.append(PendingLinks(
                    node: neighbor.id, level: l,
                    links: linksAfterAdding(g, floats, slot, toListOf: neighbor.id, distance: neighbor.distance, level: l)))
            }
            if let nearest = candidates.first {
                current = nearest.id
                currentDistance = scorer.codes == nil ? nearest.distance : scorer.distance(g, to: current, metric: metric)
            }
        }
        return pending
    }

    /// Draws a level with P(level ≥ l) = M^-l (mL = 1/ln M), capped at 30.
    func randomLevel() -> Int {
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
    /// - Parameter candidates: sorted closest first; distances are to the base node. One whose
    ///   vector `floats` cannot read is left out.
    func selectNeighbors<F: FloatVectors>(_ g: GraphStorage, _ floats: F, from candidates: [Neighbor], limit: Int) -> [Neighbor] {
        if candidates.count <= limit { return candidates }
        var chosen: [Neighbor] = []
        chosen.reserveCapacity(limit)
        for candidate in candidates {
            if chosen.count == limit { break }
            guard let vector = floats.vector(g, candidate.id) else { continue }
            let norm = g.squaredNorm(candidate.id)
            var diverse = true
            for kept in chosen {
                let d = floats.distance(g, vector, querySquaredNorm: norm, to: kept.id, metric: metric) ?? .infinity
                if d < candidate.distance {
                    diverse = false
                    break
                }
            }
            if diverse { chosen.append(candidate) }
        }
        return chosen
    }

    /// The list of `node` on `level` once `newNode` (at `distance`) links to it: appended while
    /// there is room, otherwise re-selected by the heuristic among the old links and the new one.
    /// A full list whose owner's vector cannot be read stays as it is.
    func linksAfterAdding<F: FloatVectors>(
        _ g: GraphStorage, _ floats: F, _ newNode: UInt32, toListOf node: UInt32, distance: Float, level: Int
    ) -> [UInt32] {
        let (ids, count) = g.links(node, level: level)
        let limit = g.maxLinks(level: level)
        var current = Array(UnsafeBufferPointer(start: ids, count: count))
        if count < limit {
            current.append(newNode)
            return current
        }
        guard let vector = floats.vector(g, node) else { return current }
        let norm = g.squaredNorm(node)
        var candidates = current.map {
            Neighbor(distance: floats.distance(g, vector, querySquaredNorm: norm, to: $0, metric: metric) ?? .infinity, id: $0)
        }
        candidates.append(Neighbor(distance: distance, id: newNode))
        candidates.sort(by: Neighbor.closer)
        return selectNeighbors(g, floats, from: candidates, limit: limit).map(\.id)
    }
}
