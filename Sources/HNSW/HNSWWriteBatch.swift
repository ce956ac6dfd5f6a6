import VectorMath

/// One atomic write to an ``HNSWIndex``: any number of inserts, updates and removes (or one
/// consolidation), published to searches all at once when the batch commits, or undone.
///
/// Operations take effect on the graph as they run, so later operations of the same batch build
/// on earlier ones (a batch import links its vectors to each other), but searches do not return
/// a vector inserted by the batch, and still return one it removes, until ``HNSWIndex/write(_:)``
/// commits it. If the body throws, every change is rolled back.
///
/// ``delta()`` lists what the batch changed, for a store to persist in the same transaction as
/// the data it indexes: see ``HNSWIndex/write(_:)``.
public struct HNSWWriteBatch: ~Copyable {
    let index: HNSWIndex
    var undo: [UndoRecord] = []
    /// Slots inserted by this batch (pending until commit).
    var inserted: [UInt32] = []
    /// Slots this batch removes (deleted at commit).
    var removed: [UInt32] = []
    /// Slots a consolidation frees at commit.
    var freed: [UInt32] = []
    /// Slots whose records changed: links, flags or payload.
    var touched: Set<UInt32> = []
    /// Slots whose vector was written.
    var written: [UInt32] = []
    /// Slots the batch appended to the graph (a rollback drops them again).
    var appended: [UInt32] = []
    /// The level generator before the batch, restored by a rollback so that a failed write
    /// leaves no trace at all.
    let randomAtStart: SplitMix64

    init(index: HNSWIndex) {
        self.index = index
        randomAtStart = index.random
    }

    /// Adds `vector` under `key`. - Throws: ``HNSWError/duplicateKey(_:)`` and validation errors.
    public mutating func insert(_ vector: [Float], key: UInt64) throws(HNSWError) {
        try vector.withUnsafeBufferPointer { (buffer) throws(HNSWError) in try insert(buffer, key: key) }
    }

    public mutating func insert(_ vector: UnsafeBufferPointer<Float>, key: UInt64) throws(HNSWError) {
        let squaredNorm = try index.validate(vector)
        guard index.nodeOfKey[key] == nil else { throw .duplicateKey(key) }
        try index.add(vector, squaredNorm: squaredNorm, key: key, batch: &self)
    }

    /// Adds `vector` under `key` in the given `slot`, which must be free or at or past the end
    /// of the graph (the slots skipped over become free slots). A store that keys vectors by
    /// slot uses it to build a new graph with the slot layout of the old one, so the stored
    /// vectors and the entries pointing at them stay where they are.
    /// O(free slots) to claim the slot, plus an ordinary insertion.
    /// - Parameter stored: `vector` is already in the index's stored form (as
    ///   ``HNSWIndex/vector(for:)`` or a ``HNSWDelta`` gave it): it is kept bit for bit instead
    ///   of being normalised again, so the graph holds exactly what its store holds.
    /// - Throws: ``HNSWError/slotInUse(_:)``, ``HNSWError/duplicateKey(_:)`` and validation errors.
    public mutating func insert(_ vector: [Float], key: UInt64, slot: UInt32, stored: Bool = false) throws(HNSWError) {
        try vector.withUnsafeBufferPointer { (buffer) throws(HNSWError) in
            let squaredNorm = try index.validate(buffer)
            guard index.nodeOfKey[key] == nil else { throw .duplicateKey(key) }
            try index.add(buffer, squaredNorm: squaredNorm, key: key, slot: slot, storedForm: stored, batch: &self)
        }
    }

    /// Replaces the vector of `key`: the new vector is linked in, the old one removed at commit.
    public mutating func update(_ vector: [Float], key: UInt64) throws(HNSWError) {
        try vector.withUnsafeBufferPointer { (buffer) throws(HNSWError) in
            let squaredNorm = try index.validate(buffer)
            guard let old = index.nodeOfKey[key] else { throw .keyNotFound(key) }
            try index.add(buffer, squaredNorm: squaredNorm, key: key, batch: &self)
            removed.append(old)
            touched.insert(old)
        }
    }

    /// Removes `key` at commit. - Returns: whether it was present.
    @discardableResult
    public mutating func remove(_ key: UInt64) -> Bool {
        guard let node = index.nodeOfKey[key] else { return false }
        record(.key(key, previous: node))
        index.nodeOfKey[key] = nil
        removed.append(node)
        touched.insert(node)
        return true
    }

    /// Repairs every list that points to a node deleted by an earlier batch and frees those
    /// slots at commit. See ``HNSWIndex`` for the method. O(nodes·M0²) distances at worst.
    public mutating func consolidate() {
        index.consolidate(batch: &self)
    }

    /// Whether `key` is in the index as this batch sees it (its own inserts and removes
    /// included). Inside a batch use this, not ``HNSWIndex/contains(_:)``, which waits for the
    /// writer lock the batch holds.
    public func contains(_ key: UInt64) -> Bool { index.nodeOfKey[key] != nil }

    /// What this batch changes, as it will be once committed.
    public func delta() -> HNSWDelta {
        index.delta(of: self)
    }

    mutating func record(_ entry: UndoRecord) { undo.append(entry) }
}

/// How to undo one change of an uncommitted batch.
enum UndoRecord {
    case links(node: UInt32, level: Int, previous: [UInt32])
    case entryPoint(UInt32, maxLevel: Int)
    /// A slot the batch filled; rolling back makes it free again.
    case slot(UInt32)
    case key(UInt64, previous: UInt32?)
}

extension HNSWIndex {
    /// Runs `body` as one atomic write and returns its result. See ``HNSWWriteBatch``.
    ///
    /// Writers are serialised; searches run throughout and see the batch only once it commits
    /// (when `body` returns). `body` may search the index, but must not call its other writing
    /// or key-lookup methods (`insert`, `remove`, `contains`, `vector(for:)`…), which wait for
    /// the writer lock it holds: use the batch's own methods. A store persists ``HNSWWriteBatch/delta()`` inside its own
    /// transaction, run within `body`, so that a failed commit throws out of `body` and rolls
    /// the index back too: nothing may throw after the store's commit.
    public func write<T>(_ body: (inout HNSWWriteBatch) throws -> T) rethrows -> T {
        try withWriterLock {
            var batch = HNSWWriteBatch(index: self)
            let result: T
            do {
                result = try body(&batch)
            } catch {
                rollBack(batch)
                throw error
            }
            commit(batch)
            return result
        }
    }

    /// Publishes a batch: its inserts become visible, its removals invisible, its freed slots
    /// reusable, in one exclusive step.
    func commit(_ batch: borrowing HNSWWriteBatch) {
        lock.withWriteLock {
            for node in batch.inserted {
                graph.setFlags(node, 0)
                graph.liveCount += 1
            }
            for node in batch.removed {
                if graph.flags(node) == 0 { graph.liveCount -= 1 }
                graph.setFlags(node, NodeFlags.deleted)
                graph.deletedCount += 1
            }
            for node in batch.freed {
                graph.setHeader(node, linkCount: 0, level: graph.level(node), flags: NodeFlags.free)
                graph.deletedCount -= 1
            }
        }
        // Reuse low slots first (popLast takes from the end).
        freeSlots.append(contentsOf: batch.freed.reversed())
        // The store has committed these vectors: from now on readers find them there.
        pendingVectors?.removeAll()
        #if ENGRAM_INVARIANTS
        if !batch.freed.isEmpty {
            let problems = verifyStructure()
            assert(problems.isEmpty, "graph invariants broken after consolidation: \(problems)")
        } else {
            for node in batch.touched where graph.flags(node) & NodeFlags.free == 0 {
                for level in 0...graph.level(node) { checkList(node, level: level) }
            }
        }
        #endif
    }

    /// Undoes a batch's changes in reverse order.
    func rollBack(_ batch: borrowing HNSWWriteBatch) {
        lock.withWriteLock {
            for entry in batch.undo.reversed() {
                switch entry {
                case .links(let node, let level, let previous):
                    previous.withUnsafeBufferPointer { graph.setLinks(node, level: level, $0) }
                case .entryPoint(let node, let maxLevel):
                    graph.entryPoint = node
                    graph.maxLevel = maxLevel
                case .slot(let node):
                    graph.setHeader(node, linkCount: 0, level: graph.level(node), flags: NodeFlags.free)
                    if !batch.appended.contains(node) { freeSlots.append(node) }
                case .key:
                    break
                }
            }
        }
        for case .key(let key, let previous) in batch.undo.reversed() { nodeOfKey[key] = previous }
        // Slots appended by the batch are the last ones: give them back.
        if !batch.appended.isEmpty {
            lock.withWriteLock { graph.count -= batch.appended.count }
            // Slots skipped by a prescribed-slot insert were listed free; they are gone again.
            let count = graph.count
            freeSlots.removeAll { Int($0) >= count }
        }
        random = batch.randomAtStart
        pendingVectors?.removeAll()
    }

    /// Replaces a neighbour list, remembering the old one for a rollback. Exclusive lock held.
    func setLinks(_ node: UInt32, level: Int, _ links: [UInt32], batch: inout HNSWWriteBatch) {
        let (ids, count) = graph.links(node, level: level)
        batch.record(.links(node: node, level: level, previous: Array(UnsafeBufferPointer(start: ids, count: count))))
        links.withUnsafeBufferPointer { graph.setLinks(node, level: level, $0) }
        batch.touched.insert(node)
    }
}
