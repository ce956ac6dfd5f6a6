import VectorMath

extension HNSWIndex {
    /// Removes `key`: from the moment this returns, no search returns it. O(1), plus an
    /// occasional consolidation (see ``HNSWIndex``) amortised over the deletes that trigger it.
    /// - Returns: whether the key was present.
    @discardableResult
    public func remove(_ key: UInt64) -> Bool {
        writer.withLock { state in
            guard let node = state.nodeOfKey.removeValue(forKey: key) else { return false }
            lock.withWriteLock {
                graph.setFlags(node, NodeFlags.deleted)
                graph.liveCount -= 1
                graph.deletedCount += 1
            }
            consolidateIfNeeded(state: &state)
            return true
        }
    }

    /// Repairs the lists that point to deleted nodes and frees their slots now, whatever their
    /// number. O(nodes·M0²) distance computations in the worst case.
    public func consolidate() {
        writer.withLock { state in consolidate(state: &state) }
    }

    func consolidateIfNeeded(state: inout WriterState) {
        let g = graph
        guard g.deletedCount > 0,
              Double(g.deletedCount) >= parameters.consolidationFraction * Double(g.liveCount + g.deletedCount)
        else { return }
        consolidate(state: &state)
    }

    /// Runs with `writer` held: computes every repaired list while searches go on, then
    /// publishes them, frees the deleted slots and moves the entry point, in one exclusive step.
    func consolidate(state: inout WriterState) {
        let g = graph
        guard g.deletedCount > 0 else { return }
        var pending: [PendingLinks] = []
        var candidates: [Neighbor] = []
        for row in 0..<g.count {
            let node = UInt32(row)
            guard g.isLive(node) else { continue }
            for level in 0...g.level(node) {
                let (ids, count) = g.links(node, level: level)
                var touched = false
                for i in 0..<count where g.flags(ids[i]) != 0 {
                    touched = true
                    break
                }
                guard touched else { continue }
                // Candidates: live neighbours, and the live neighbours of deleted neighbours.
                state.scratch.begin(nodes: g.count)
                _ = state.scratch.checkAndMark(node)
                candidates.removeAll(keepingCapacity: true)
                for i in 0..<count {
                    let neighbor = ids[i]
                    if g.isLive(neighbor) {
                        if !state.scratch.checkAndMark(neighbor) {
                            candidates.append(Neighbor(distance: g.distance(between: node, neighbor, metric: metric), id: neighbor))
                        }
                    } else {
                        let (second, secondCount) = g.links(neighbor, level: level)
                        for j in 0..<secondCount where g.isLive(second[j]) && !state.scratch.checkAndMark(second[j]) {
                            candidates.append(Neighbor(distance: g.distance(between: node, second[j], metric: metric), id: second[j]))
                        }
                    }
                }
                candidates.sort(by: Neighbor.closer)
                let chosen = selectNeighbors(g, from: candidates, limit: g.maxLinks(level: level))
                pending.append(PendingLinks(node: node, level: level, links: chosen.map(\.id)))
            }
        }

        // The entry point must be live: the live node of highest level takes over.
        var entry = g.entryPoint
        var maxLevel = g.maxLevel
        if entry == noNode || !g.isLive(entry) {
            entry = noNode
            maxLevel = -1
            for row in 0..<g.count where g.isLive(UInt32(row)) && g.level(UInt32(row)) > maxLevel {
                entry = UInt32(row)
                maxLevel = g.level(entry)
            }
        }

        var freed: [UInt32] = []
        lock.withWriteLock {
            for change in pending {
                change.links.withUnsafeBufferPointer { graph.setLinks(change.node, level: change.level, $0) }
            }
            for row in 0..<graph.count where graph.flags(UInt32(row)) & NodeFlags.deleted != 0 {
                let node = UInt32(row)
                graph.setHeader(node, linkCount: 0, level: graph.level(node), flags: NodeFlags.free)
                freed.append(node)
            }
            graph.deletedCount = 0
            graph.entryPoint = entry
            graph.maxLevel = maxLevel
        }
        // Reuse low slots first (popLast takes from the end).
        state.freeSlots.append(contentsOf: freed.reversed())
        #if ENGRAM_INVARIANTS
        let problems = verifyStructure()
        assert(problems.isEmpty, "graph invariants broken after consolidation: \(problems)")
        #endif
    }
}
