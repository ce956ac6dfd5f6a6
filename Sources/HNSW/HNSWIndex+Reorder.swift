extension HNSWIndex {
    /// Renumbers the nodes in breadth-first order of layer 0 from the entry point, so that
    /// nodes a search visits one after another tend to sit in neighbouring blocks (graph
    /// reordering, as in Coleman et al., "Graph Reordering for Cache-Efficient Near Neighbor
    /// Search", 2022). Nodes the traversal does not reach and free slots keep their relative
    /// order after the reached ones.
    ///
    /// An experiment for `engram-ann --reorder`, not a product operation: slots are
    /// what a store persists vectors and records under, so an index a store owns must never be
    /// renumbered. O(nodes·(M0 + block size)); takes the exclusive lock for the whole pass and
    /// allocates a second block mapping.
    package func reorderBreadthFirst() {
        withWriterLock {
            lock.withWriteLock {
                let g = graph
                let count = g.count
                guard count > 1 else { return }
                var newID = [UInt32](repeating: noNode, count: count)
                var order: [UInt32] = []
                order.reserveCapacity(count)
                if g.entryPoint != noNode {
                    newID[Int(g.entryPoint)] = 0
                    order.append(g.entryPoint)
                    var head = 0
                    while head < order.count {
                        let (ids, linkCount) = g.links(order[head], level: 0)
                        head += 1
                        for i in 0..<linkCount where newID[Int(ids[i])] == noNode {
                            newID[Int(ids[i])] = UInt32(order.count)
                            order.append(ids[i])
                        }
                    }
                }
                for old in 0..<UInt32(count) where newID[Int(old)] == noNode {
                    newID[Int(old)] = UInt32(order.count)
                    order.append(old)
                }

                let stride = g.layout.stride
                let renumbered = BlockMapping.map(capacity: g.capacity, stride: stride)
                for (new, old) in order.enumerated() {
                    (renumbered + new * stride).copyMemory(from: g.block(old), byteCount: stride)
                }
                let retired = graph.adoptBlocks((renumbered, g.capacity))
                let h = graph
                for id in 0..<UInt32(count) {
                    let top = h.flags(id) & NodeFlags.free != 0 ? 0 : h.level(id)
                    for level in 0...top {
                        let (ids, linkCount) = h.links(id, level: level)
                        for i in 0..<linkCount { ids[i] = newID[Int(ids[i])] }
                    }
                }
                if graph.entryPoint != noNode { graph.entryPoint = newID[Int(graph.entryPoint)] }
                for (key, old) in nodeOfKey { nodeOfKey[key] = newID[Int(old)] }
                freeSlots = freeSlots.map { newID[Int($0)] }
                if let retired { BlockMapping.unmap(retired.blocks, capacity: retired.capacity, stride: stride) }
            }
        }
    }
}
