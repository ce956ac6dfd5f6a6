extension HNSWIndex {
    /// Checks the graph's structural invariants and describes every violation (empty when
    /// sound): links in range, to nodes that exist on that level, no self links or duplicates,
    /// list sizes within bounds, live/deleted counts, a live entry point of the top level.
    /// O(nodes·M0).
    public func verifyStructure() -> [String] {
        lock.withReadLock {
            var problems: [String] = []
            let g = graph
            var live = 0
            var deleted = 0
            var topLevel = -1
            for row in 0..<g.count {
                let node = UInt32(row)
                let flags = g.flags(node)
                if flags == 0 { live += 1 } else if flags & NodeFlags.deleted != 0 { deleted += 1 }
                if flags & NodeFlags.free != 0 { continue }
                topLevel = max(topLevel, g.level(node))
                for level in 0...g.level(node) {
                    problems += listProblems(g, node, level: level)
                }
            }
            if live != g.liveCount { problems.append("live count is \(g.liveCount), nodes say \(live)") }
            if deleted != g.deletedCount { problems.append("deleted count is \(g.deletedCount), nodes say \(deleted)") }
            if g.count > 0 && live + deleted > 0 {
                if g.entryPoint == noNode || Int(g.entryPoint) >= g.count {
                    problems.append("entry point \(g.entryPoint) is not a node")
                } else {
                    if g.flags(g.entryPoint) & NodeFlags.free != 0 { problems.append("entry point \(g.entryPoint) is a free slot") }
                    if g.level(g.entryPoint) != g.maxLevel { problems.append("entry point level \(g.level(g.entryPoint)) ≠ max level \(g.maxLevel)") }
                    if topLevel != g.maxLevel { problems.append("max level is \(g.maxLevel), nodes reach \(topLevel)") }
                }
            }
            return problems
        }
    }

    func listProblems(_ g: GraphStorage, _ node: UInt32, level: Int) -> [String] {
        var problems: [String] = []
        let (ids, count) = g.links(node, level: level)
        if count > g.maxLinks(level: level) {
            problems.append("node \(node) level \(level): \(count) links, more than \(g.maxLinks(level: level))")
            return problems
        }
        var seen = Set<UInt32>()
        for i in 0..<count {
            let target = ids[i]
            if Int(target) >= g.count {
                problems.append("node \(node) level \(level): link to \(target) out of range")
            } else if target == node {
                problems.append("node \(node) level \(level): links to itself")
            } else if g.flags(target) & NodeFlags.free != 0 {
                problems.append("node \(node) level \(level): link to free slot \(target)")
            } else if g.level(target) < level {
                problems.append("node \(node) level \(level): link to \(target), which has level \(g.level(target))")
            }
            if !seen.insert(target).inserted { problems.append("node \(node) level \(level): duplicate link \(target)") }
        }
        return problems
    }

    #if ENGRAM_INVARIANTS
    /// Debug-build check of one list right after a write (the writer holds `writer`).
    func checkList(_ node: UInt32, level: Int) {
        let problems = lock.withReadLock { listProblems(graph, node, level: level) }
        assert(problems.isEmpty, "graph invariant broken: \(problems)")
    }
    #endif
}
