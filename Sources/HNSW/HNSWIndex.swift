import Foundation
import VectorMath

/// A hierarchical navigable small world graph (Malkov & Yashunin, 2016) over float32 vectors,
/// with deletes, updates, filtered search, an exact mode for small sizes and a binary codec.
///
/// Keys are the caller's 64-bit ids (memory entry ids); nodes are dense `UInt32` slots.
///
/// ## Concurrency
/// Any number of searches run in parallel with one writer. Searches hold a shared lock for their
/// traversal. A writer (inserts, updates, deletes, consolidation; writers are serialised by a
/// mutex that also guards the writer-only state) does its expensive part — finding neighbours,
/// choosing links — while searches keep running, since it is the only thread that mutates the
/// graph; it then takes the exclusive lock just long enough to publish the prepared lists. A
/// search therefore sees each write either entirely or not at all, and sees every write that
/// returned before it started.
///
/// ## Deletes
/// A delete marks the node: it is never returned again, but searches still route through it so
/// the graph stays connected. When deleted nodes reach ``HNSWParameters/consolidationFraction``
/// of the nodes, the writer repairs every list that points to one (the list's live neighbours
/// plus the deleted neighbours' live neighbours, pruned with the same heuristic as an insert) and
/// frees their slots, which later inserts reuse. Repairing keeps recall at the level of a fresh
/// build after heavy churn (tested), and reusing slots keeps memory bounded by the live count;
/// batching the repair amortises its cost, since most nodes near a deleted node have several
/// deleted neighbours after a while.
public final class HNSWIndex: @unchecked Sendable {
    /// The largest vector dimension an index takes.
    public static let maxDimension = 65_536

    // @unchecked: `graph` is read by searches under `lock` (shared) and written only by the
    // writer, which holds `writerLock` and takes `lock` exclusively for every write. The
    // writer-only state (`nodeOfKey`, `freeSlots`, `random`, `writerScratch`,
    // `quantizerTrainingAt`, `poorlyCodedSinceTraining`, `pendingVectors`) is touched only
    // with `writerLock` held. Everything else is immutable or Sendable.

    public let dimension: Int
    public let metric: Metric
    public let parameters: HNSWParameters

    let lock = ReadWriteLock()
    var graph: GraphStorage
    let writerLock = NSLock()
    var nodeOfKey: [UInt64: UInt32] = [:]
    /// Consolidated slots, reused by inserts before the graph grows (last = next reused).
    var freeSlots: [UInt32] = []
    var random: SplitMix64
    var writerScratch: SearchScratch
    let scratchPool: ScratchPool
    /// Slot count at which a quantized index (re)trains its codes next (writer only).
    var quantizerTrainingAt = HNSWIndex.quantizerFirstTraining
    /// Nodes inserted since the last training whose codes misrepresent them (writer only).
    var poorlyCodedSinceTraining = 0
    /// Where the float vectors are read when they are not in the node blocks (`nil`: they are).
    public let vectorSource: (any HNSWVectorSource)?
    /// With a `vectorSource`: the vectors the current batch wrote, until it commits (writer only).
    let pendingVectors: PendingVectors?

    /// Creates an empty index. Capacity grows as vectors are added.
    /// - Parameter vectorSource: keep only links and codes in memory and read the float vectors
    ///   from this store (see ``HNSWVectorSource``, whose contract the caller takes on: write
    ///   through ``write(_:)`` and persist each batch's ``HNSWWriteBatch/delta()`` vectors before
    ///   it returns). `nil` (default): the index holds its float vectors.
    public init(dimension: Int, metric: Metric = .cosine, parameters: HNSWParameters = HNSWParameters(),
                vectorSource: (any HNSWVectorSource)? = nil) throws(HNSWError) {
        guard (1...Self.maxDimension).contains(dimension) else {
            throw .invalidParameter("dimension must be in 1...\(Self.maxDimension), got \(dimension)")
        }
        try parameters.validate()
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.vectorSource = vectorSource
        pendingVectors = vectorSource == nil ? nil : PendingVectors(dimension: dimension)
        graph = GraphStorage(layout: NodeLayout(dimension: dimension, m: parameters.m, quantization: parameters.quantization,
                                                floatsInBlocks: vectorSource == nil))
        random = SplitMix64(seed: parameters.seed)
        writerScratch = SearchScratch(dimension: dimension, nodes: 1024)
        scratchPool = ScratchPool(dimension: dimension)
        // Per-query BLAS calls must not fan out to threads: a threaded sgemv over a small flat
        // index is several times slower (see docs/performance.md#kernels-and-blas), and Engram
        // parallelises across requests instead.
        BLASBackend.useSingleThread()
    }

    deinit { graph.deallocate() }

    /// Runs `body` with the writer lock held (writers are serialised; searches go on).
    @inline(__always)
    func withWriterLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        return try body()
    }

    /// Number of vectors a search can return.
    public var count: Int { lock.withReadLock { graph.liveCount } }

    /// Whether `key` is in the index (not deleted).
    public func contains(_ key: UInt64) -> Bool {
        withWriterLock { nodeOfKey[key] != nil }
    }

    /// The slot holding `key`'s node, or `nil`. A store keys its vectors by slot.
    public func slot(for key: UInt64) -> UInt32? {
        withWriterLock { nodeOfKey[key] }
    }

    /// The stored vector of `key` (normalised when the metric is cosine), or `nil` (also when
    /// the ``vectorSource`` cannot be read).
    public func vector(for key: UInt64) -> [Float]? {
        withWriterLock {
            guard let node = nodeOfKey[key] else { return nil }
            func copy(_ floats: some FloatVectors) -> [Float]? {
                floats.vector(graph, node).map { Array(UnsafeBufferPointer(start: $0, count: dimension)) }
            }
            guard let vectorSource else { return copy(BlockFloats()) }
            return try? vectorSource.withReader { (reader) throws(HNSWError) in copy(writerFloats(reader)) }
        }
    }

    /// Every live key, in slot order. O(nodes).
    public func keys() -> [UInt64] {
        lock.withReadLock {
            var keys: [UInt64] = []
            keys.reserveCapacity(graph.liveCount)
            for id in 0..<UInt32(graph.count) where graph.isLive(id) { keys.append(graph.key(id)) }
            return keys
        }
    }

    /// Sizes and shape of the graph.
    public struct Statistics: Sendable, Equatable {
        public var liveNodes: Int
        /// Deleted nodes still linked, awaiting consolidation.
        public var deletedNodes: Int
        /// Slots ready for reuse.
        public var freeSlots: Int
        public var maxLevel: Int
        /// Bytes allocated for the graph (vectors, codes and links).
        public var allocatedBytes: Int
        /// Whether searches traverse 8-bit codes (a quantized index past its first training).
        public var traversesCodes: Bool
        /// Whether the float vectors are in the index's memory (else read from its ``vectorSource``).
        public var vectorsInMemory: Bool
    }

    public var statistics: Statistics {
        lock.withReadLock {
            Statistics(
                liveNodes: graph.liveCount, deletedNodes: graph.deletedCount,
                freeSlots: graph.count - graph.liveCount - graph.deletedCount,
                maxLevel: graph.maxLevel, allocatedBytes: graph.allocatedBytes, traversesCodes: graph.quantizer != nil,
                vectorsInMemory: graph.layout.floatsInBlocks)
        }
    }

    /// Whether enough nodes are deleted for ``consolidate()`` to be due
    /// (``HNSWParameters/consolidationFraction``).
    public var needsConsolidation: Bool {
        lock.withReadLock {
            graph.deletedCount > 0
                && Double(graph.deletedCount) >= parameters.consolidationFraction * Double(graph.liveCount + graph.deletedCount)
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood): a small, fast, seedable generator for node levels.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension HNSWIndex {
    /// Checks a vector from a caller and returns its squared norm.
    func validate(_ vector: UnsafeBufferPointer<Float>) throws(HNSWError) -> Float {
        guard vector.count == dimension else {
            throw .dimensionMismatch(expected: dimension, got: vector.count)
        }
        // A NaN or infinite component makes the norm non-finite, so the norm the search needs
        // anyway is the check; the components are looked at only to name the bad one.
        let squaredNorm = Kernels.squaredNorm(vector.baseAddress!, count: dimension)
        guard squaredNorm.isFinite else {
            if let bad = vector.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteComponent(index: bad) }
            throw .invalidArgument("vector norm overflows Float")
        }
        if metric == .cosine && squaredNorm == 0 { throw .zeroVector }
        return squaredNorm
    }

    /// Copies `vector` into `destination` in the metric's stored form and returns the squared
    /// norm of what was written.
    func prepare(_ vector: UnsafeBufferPointer<Float>, squaredNorm: Float, into destination: UnsafeMutablePointer<Float>) -> Float {
        destination.update(from: vector.baseAddress!, count: dimension)
        guard metric.normalizesVectors else { return squaredNorm }
        Kernels.normalize(destination, count: dimension)
        return 1
    }
}
