import Foundation
import VectorMath

/// Per-search working memory, reused from search to search so that a warmed-up search allocates
/// nothing: a visited set with epoch tags, the two heaps, the prepared query and a score buffer.
///
/// The visited set stores, per node, the epoch of the last search that reached it; starting a
/// search bumps the epoch instead of clearing the array (O(1) instead of O(nodes)), and the
/// array is cleared only when the 16-bit epoch wraps, once every 65,535 searches.
struct SearchScratch: ~Copyable, @unchecked Sendable {
    // @unchecked: a scratch has exactly one owner at a time — one search (handed over by
    // ScratchPool's Mutex) or the writer (inside HNSWIndex.writer) — so its buffers are never
    // shared.
    private(set) var visited: UnsafeMutablePointer<UInt16>
    private(set) var visitedCapacity: Int
    private(set) var epoch: UInt16 = 0
    /// Candidates to expand, closest on top.
    var candidates = NeighborHeap(farthestOnTop: false, capacity: 256)
    /// Best results so far, farthest on top.
    var results = NeighborHeap(farthestOnTop: true, capacity: 256)
    /// The query after normalisation (cosine) — searches never modify the caller's vector.
    let query: UnsafeMutablePointer<Float>
    /// The query's 8-bit weights for scoring codes (quantized indexes).
    let weights: UnsafeMutablePointer<Int8>
    /// Two vectors' room for an index that reads its floats from a store (``ReadFloats``).
    let floatBuffers: UnsafeMutablePointer<Float>
    /// Unvisited neighbours of the node being expanded (at most M0 ≤ 510).
    let batch: UnsafeMutablePointer<UInt32>
    /// Scores of a flat scan.
    private(set) var scores: UnsafeMutablePointer<Float>
    private(set) var scoresCapacity: Int

    init(dimension: Int, nodes: Int) {
        visitedCapacity = max(nodes, 1024)
        visited = .allocate(capacity: visitedCapacity)
        visited.initialize(repeating: 0, count: visitedCapacity)
        query = .allocate(capacity: dimension)
        weights = .allocate(capacity: dimension)
        floatBuffers = .allocate(capacity: 2 * dimension)
        batch = .allocate(capacity: 512)
        scoresCapacity = 0
        scores = .allocate(capacity: 1)
    }

    deinit {
        visited.deallocate()
        query.deallocate()
        weights.deallocate()
        floatBuffers.deallocate()
        batch.deallocate()
        scores.deallocate()
    }

    /// Starts a search over `nodes` slots: a fresh epoch, empty heaps. Allocates only when the
    /// index has grown past the visited array.
    @inline(__always)
    mutating func begin(nodes: Int) {
        if nodes > visitedCapacity { growVisited(to: nodes) }
        if epoch == UInt16.max {
            visited.update(repeating: 0, count: visitedCapacity)
            epoch = 0
        }
        epoch &+= 1
        candidates.removeAll()
        results.removeAll()
    }

    /// Marks `id` visited; returns whether it already was in this search.
    @inline(__always)
    func checkAndMark(_ id: UInt32) -> Bool {
        let slot = visited + Int(id)
        if slot.pointee == epoch { return true }
        slot.pointee = epoch
        return false
    }

    mutating func reserveScores(_ count: Int) {
        guard count > scoresCapacity else { return }
        scores.deallocate()
        scoresCapacity = max(count, scoresCapacity * 2)
        scores = .allocate(capacity: scoresCapacity)
    }

    private mutating func growVisited(to nodes: Int) {
        let newCapacity = max(nodes, visitedCapacity * 2)
        visited.deallocate()
        visited = .allocate(capacity: newCapacity)
        visited.initialize(repeating: 0, count: newCapacity)
        visitedCapacity = newCapacity
        epoch = 0
    }
}

/// A scratch checked out of the pool, owned by exactly one search until it is returned.
struct ScratchHandle: @unchecked Sendable {
    // Sendable because ownership is exclusive: the pool hands each pointer to one caller at a
    // time, and the pool's lock orders the hand-over.
    let pointer: UnsafeMutablePointer<SearchScratch>
}

/// Scratches for concurrent searches. Checking one out is a lock, a pop and a push of a raw
/// pointer: no allocation and no reference counting once the pool holds one per concurrent
/// searcher.
final class ScratchPool: @unchecked Sendable {
    // @unchecked: `idle` is only touched with `lock` held. The lock is NSLock (a pthread mutex)
    // rather than Synchronization's Mutex because ThreadSanitizer does not see Mutex's futex
    // on Linux and then reports the hand-over of a scratch between threads as a race.
    private let lock = NSLock()
    private var idle: [ScratchHandle] = []
    private let dimension: Int

    init(dimension: Int) {
        self.dimension = dimension
        idle.reserveCapacity(64)
    }

    deinit {
        for handle in idle {
            handle.pointer.deinitialize(count: 1)
            handle.pointer.deallocate()
        }
    }

    /// Runs `body` with a scratch of its own. O(1) after warm-up.
    @inline(__always)
    func withScratch<T, E: Error>(nodes: Int, _ body: (inout SearchScratch) throws(E) -> T) throws(E) -> T {
        lock.lock()
        let pooled = idle.popLast()
        lock.unlock()
        let handle = pooled ?? makeHandle(nodes: nodes)
        defer {
            lock.lock()
            idle.append(handle)
            lock.unlock()
        }
        return try body(&handle.pointer.pointee)
    }

    private func makeHandle(nodes: Int) -> ScratchHandle {
        let pointer = UnsafeMutablePointer<SearchScratch>.allocate(capacity: 1)
        pointer.initialize(to: SearchScratch(dimension: dimension, nodes: nodes))
        return ScratchHandle(pointer: pointer)
    }
}
