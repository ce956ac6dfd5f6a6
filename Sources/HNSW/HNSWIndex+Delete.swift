import VectorMath

extension HNSWIndex {
    /// Removes `key`: from the moment this returns, no search returns it. O(1), plus an
    /// occasional consolidation (see ``HNSWIndex``) amortised over the deletes that trigger it.
    /// - Returns: whether the key was present.
    @discardableResult
    public func remove(_ key: UInt64) -> Bool {
        let removed = write { batch in batch.remove(key) }
        if removed { consolidateIfNeeded() }
        return removed
    }

    /// Repairs the lists that point to deleted nodes and frees their slots now, whatever their
    /// number. O(nodes·M0²) distance computations in the worst case.
    public func consolidate() {
        write { batch in batch.consolidate() }
    }

    /// Consolidates when ``needsConsolidation``. The convenience writers call it; a store that
    /// persists deltas checks ``needsConsolidation`` and runs its own consolidation batch.
    func consolidateIfNeeded() {
        if needsConsolidation { consolidate() }
    }

    /// Computes every repaired list while searches go on, then publishes them; the deleted slots
    /// are freed and the entry point moved when the batch commits. Nodes the batch inserted
    /// (pending) are repaired like live ones, so a batch may mix consolidation with other writes.
    /// Writer lock held. When a ``vectorSource`` cannot be read, nothing changes and a later
    /// consolidation does the work.
    func consolidate(batch: inout HNSWWriteBatch) {
        guard graph.deletedCount > 0 else { return }
        guard let vectorSource else { return consolidate(batch: &batch, floats: BlockFloats()) }
        _ = try? vectorSource.withReader { (reader) throws(HNSWError) in consolidate(batch: &batch, floats: writerFloats(reader)) }
    }

    func consolidate<F: FloatVectors>(batch: inout HNSWWriteBatch, floats: F) {
        let g = graph
        /// Live, or pending in this batch: the nodes that stay in the graph.
        func stays(_ node: UInt32) -> Bool { g.flags(node) & NodeFlags.notLinkable == 0 }
        var pending: [PendingLinks] = []
        var candidates: [Neighbor] = []
        for row in 0..<g.count {
            let node = UInt32(row)
            guard stays(node) else { continue }
            for level in 0...g.level(node) {
                let (ids, count) = g.links(node, level: level)
                var touched = false
                for i in 0..<count where !stays(ids[i]) {
                    touched = true
                    break
                }
                guard touched else { continue }
                // Candidates: live neighbours, and the live neighbours of deleted neighbours.
                // A node whose vector cannot be read keeps its remaining neighbours.
                guard let vector = floats.vector(g, node) else {
                    let kept = UnsafeBufferPointer(start: ids, count: count).filter(stays)
                    pending.append(PendingLinks(node: node, level: level, links: kept))
                    continue
                }
                let norm = g.squaredNorm(node)
                func distance(to other: UInt32) -> Float {
                    floats.distance(g, vector, querySquaredNorm: norm, to: other, metric: metric) ?? .infinity
                }
                writerScratch.begin(nodes: g.count)
                _ = writerScratch.checkAndMark(node)
                candidates.removeAll(keepingCapacity: true)
                for i in 0..<count {
                    let neighbor = ids[i]
                    if stays(neighbor) {
                        if !writerScratch.checkAndMark(neighbor) {
                            candidates.append(Neighbor(distance: distance(to: neighbor), id: neighbor))
                        }
                    } else {
                        let (second, secondCount) = g.links(neighbor, level: level)
                        for j in 0..<secondCount where stays(second[j]) && !writerScratch.checkAndMark(second[j]) {
                            candidates.append(Neighbor(distance: distance(to: second[j]), id: second[j]))
                        }
                    }
                }
                candidates.sort(by: Neighbor.closer)
                let chosen = selectNeighbors(g, floats, from: candidates, limit: g.maxLinks(level: level))
                pending.append(PendingLinks(node: node, level: level, links: chosen.map(\.id)))
            }
        }

        // The entry point must stay: the remaining node of highest level takes over.
        var entry = g.entryPoint
        var maxLevel = g.maxLevel
        if entry == noNode || !stays(entry) {
            entry = noNode
            maxLevel = -1
            for row in 0..<g.count where stays(UInt32(row)) && g.level(UInt32(row)) > maxLevel {
                entry = UInt32(row)
                maxLevel = g.level(entry)
            }
        }

        lock.withWriteLock {
            for change in pending { setLinks(change.node, level: change.level, change.links, batch: &batch) }
            if entry != graph.entryPoint || maxLevel != graph.maxLevel {
                batch.record(.entryPoint(graph.entryPoint, maxLevel: graph.maxLevel))
                graph.entryPoint = entry
                graph.maxLevel = maxLevel
            }
        }
        for row in 0..<g.count where g.flags(UInt32(row)) & NodeFlags.deleted != 0 {
            batch.freed.append(UInt32(row))
            batch.touched.insert(UInt32(row))
        }
    }
}
