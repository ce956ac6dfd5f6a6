import CBLASShim
import VectorMath

/// Reads stored vectors by slot for one operation of an index whose float vectors are not in
/// its memory (see ``HNSWVectorSource``).
public protocol HNSWVectorReader {
    /// Copies the vector stored for `slot` (in the index's stored form: normalised under cosine)
    /// to `destination`, which has room for the index's `dimension` floats.
    /// - Returns: `false` when no vector of that dimension is stored for `slot`; the index then
    ///   treats the node as unreachable for this operation (it is never returned by it).
    func copyVector(slot: UInt32, into destination: UnsafeMutablePointer<Float>) -> Bool
}

/// Where an index that keeps only links and 8-bit codes in memory reads its float vectors: a
/// store that already keeps every vector under its slot (LMDB's map, for `MemoryStore`).
///
/// The index scores codes while it traverses and needs floats only for exact distances: to
/// re-rank a search's candidates, to choose an insertion's links, to repair lists after deletes,
/// to scan small or filtered sets exactly, and to train codes. It opens one reader per such
/// operation:
/// - a search opens it while holding the index's shared lock, so the reader must show at least
///   every vector the index had published when the reader began;
/// - the writer opens it while holding the writer lock, and finds the vectors of nodes its
///   batch has not committed yet in the index itself (``HNSWWriteBatch/delta()`` hands them to
///   the store), so the reader only needs to show what is committed.
///
/// A store meets both when it commits a write's vectors before ``HNSWIndex/write(_:)`` returns
/// (as ``HNSWIndex/write(_:)`` requires anyway) and keeps a vector under its slot until a
/// consolidation has freed that slot.
public protocol HNSWVectorSource: Sendable {
    /// Runs `body` with a reader of the vectors as stored now, valid only inside `body`.
    /// - Throws: ``HNSWError/vectorSourceUnavailable(_:)`` when the store cannot be read.
    func withReader<R>(_ body: (any HNSWVectorReader) throws(HNSWError) -> R) throws(HNSWError) -> R
}

/// Exact distances on float vectors, wherever they are kept. Graph code is generic over it, so
/// each kind compiles to its own specialised loop: the in-memory one is what it always was.
protocol FloatVectors {
    /// Whether the vectors are in the node blocks (a flat scan can then run one `sgemv`).
    var inBlocks: Bool { get }

    /// The stored vector of `id`, or `nil` when it cannot be read. The pointer stays valid until
    /// the next call of this method on the same value (``distance(_:_:querySquaredNorm:to:metric:)``
    /// does not disturb it).
    func vector(_ g: GraphStorage, _ id: UInt32) -> UnsafePointer<Float>?

    /// Distance from a prepared query (normalised for cosine; `querySquaredNorm` for L2) to
    /// `id`, or `nil` when its vector cannot be read.
    func distance(_ g: GraphStorage, _ query: UnsafePointer<Float>, querySquaredNorm: Float, to id: UInt32,
                  metric: Metric) -> Float?
}

extension FloatVectors {
    /// Distance between two nodes, `nil` when either vector cannot be read.
    @inline(__always)
    func distance(_ g: GraphStorage, between a: UInt32, _ b: UInt32, metric: Metric) -> Float? {
        guard let va = vector(g, a) else { return nil }
        return distance(g, va, querySquaredNorm: g.squaredNorm(a), to: b, metric: metric)
    }
}

/// The vectors are in the node blocks.
struct BlockFloats: FloatVectors {
    var inBlocks: Bool { true }

    @inline(__always)
    func vector(_ g: GraphStorage, _ id: UInt32) -> UnsafePointer<Float>? { UnsafePointer(g.vector(id)) }

    @inline(__always)
    func distance(_ g: GraphStorage, _ query: UnsafePointer<Float>, querySquaredNorm: Float, to id: UInt32,
                  metric: Metric) -> Float? {
        g.distance(query, querySquaredNorm: querySquaredNorm, to: id, metric: metric)
    }
}

/// The vectors come from a ``HNSWVectorReader``, except those of nodes the writer's batch has not
/// committed yet (`pending`, writer only). Copies into two buffers of the caller's scratch: one
/// for ``vector(_:_:)``, one for ``distance(_:_:querySquaredNorm:to:metric:)``.
struct ReadFloats: FloatVectors {
    let reader: any HNSWVectorReader
    let pending: PendingVectors?
    let vectorBuffer: UnsafeMutablePointer<Float>
    let distanceBuffer: UnsafeMutablePointer<Float>

    var inBlocks: Bool { false }

    @inline(__always)
    private func read(_ id: UInt32, into buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float>? {
        if let pending, let own = pending[id] { return UnsafePointer(own) }
        return reader.copyVector(slot: id, into: buffer) ? UnsafePointer(buffer) : nil
    }

    func vector(_ g: GraphStorage, _ id: UInt32) -> UnsafePointer<Float>? { read(id, into: vectorBuffer) }

    func distance(_ g: GraphStorage, _ query: UnsafePointer<Float>, querySquaredNorm: Float, to id: UInt32,
                  metric: Metric) -> Float? {
        guard let vector = read(id, into: distanceBuffer) else { return nil }
        let dot = cblas_sdot(Int32(truncatingIfNeeded: g.layout.dimension), query, 1, vector, 1)
        let distance = metric == .cosine ? 1 - dot
            : metric.distance(dot: dot, queryNormSquared: querySquaredNorm, vectorNormSquared: g.squaredNorm(id))
        // Bytes from a store are not trusted: a damaged vector is unreadable, not a NaN result.
        return distance.isFinite ? distance : nil
    }
}

/// The float vectors of the nodes an uncommitted batch wrote, for an index whose floats live in
/// a store: the store has them only once the batch commits. Writer only (the writer lock
/// protects it); emptied when the batch commits or rolls back.
final class PendingVectors: @unchecked Sendable {
    // @unchecked: only the writer touches it, with HNSWIndex.writerLock held.
    private var bySlot: [UInt32: UnsafeMutablePointer<Float>] = [:]
    private let dimension: Int

    init(dimension: Int) { self.dimension = dimension }

    deinit { removeAll() }

    subscript(slot: UInt32) -> UnsafeMutablePointer<Float>? { bySlot[slot] }

    /// Keeps a copy of `vector` for `slot`, replacing an earlier one. O(dimension).
    func set(_ vector: UnsafePointer<Float>, for slot: UInt32) {
        let copy = bySlot[slot] ?? .allocate(capacity: dimension)
        copy.update(from: vector, count: dimension)
        bySlot[slot] = copy
    }

    func removeAll() {
        for pointer in bySlot.values { pointer.deallocate() }
        bySlot.removeAll(keepingCapacity: true)
    }
}

extension HNSWIndex {
    /// Float access for a search holding `scratch`: reads never see the writer's pending vectors.
    @inline(__always)
    func searchFloats(_ reader: any HNSWVectorReader, _ scratch: borrowing SearchScratch) -> ReadFloats {
        ReadFloats(reader: reader, pending: nil, vectorBuffer: scratch.floatBuffers,
                   distanceBuffer: scratch.floatBuffers + dimension)
    }

    /// Float access for the writer (writer lock held): the batch's pending vectors first.
    func writerFloats(_ reader: any HNSWVectorReader) -> ReadFloats {
        ReadFloats(reader: reader, pending: pendingVectors, vectorBuffer: writerScratch.floatBuffers,
                   distanceBuffer: writerScratch.floatBuffers + dimension)
    }
}

extension HNSWIndex {
    /// A copy of this index that keeps only links and codes in memory and reads the float
    /// vectors from `source`, which must hold, under each node's slot, the vector this index
    /// holds for it (a store that rebuilt a graph over its own slots). This index is unchanged.
    /// O(nodes·(M0 + codes)); writes wait meanwhile, searches go on.
    /// - Throws: ``HNSWError/invalidArgument(_:)`` when this index already reads its vectors
    ///   from a source.
    public func movingVectors(to source: any HNSWVectorSource) throws(HNSWError) -> HNSWIndex {
        guard vectorSource == nil else { throw .invalidArgument("the index already reads its vectors from a store") }
        let copy = try HNSWIndex(dimension: dimension, metric: metric, parameters: parameters, vectorSource: source)
        withWriterLock {
            lock.withReadLock { copy.graph.copyGraph(of: graph) }
            copy.nodeOfKey = nodeOfKey
            copy.freeSlots = freeSlots
            copy.random = random
            copy.quantizerTrainingAt = quantizerTrainingAt
            copy.poorlyCodedSinceTraining = poorlyCodedSinceTraining
        }
        return copy
    }
}
