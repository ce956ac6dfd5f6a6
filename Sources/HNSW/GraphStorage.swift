import CBLASShim
import CQuantKernels
import Glibc
import VectorMath

/// Node ids are dense `UInt32` slot numbers; this one marks "no node".
let noNode = UInt32.max

/// Node states kept in the high byte of a node's header word.
enum NodeFlags {
    /// Removed by the caller: never returned, still traversed until consolidation repairs the
    /// lists that point to it.
    static let deleted: UInt32 = 1
    /// Slot not in the graph (consolidated or being filled); nothing links to it.
    static let free: UInt32 = 2
    /// Inserted by a write batch that has not committed: linked and traversable, not returned.
    static let pending: UInt32 = 4
    /// Flags that keep a node out of search results.
    static let notReturnable: UInt32 = 0xff
    /// Flags that keep a node from being chosen as a neighbour while inserting: nodes pending
    /// in the same batch are eligible, so a batch import builds a connected graph.
    static let notLinkable: UInt32 = deleted | free
}

/// Where each field lives inside a node's level-0 block.
///
/// One block per node holds everything a search touches for that node, so visiting it costs
/// one stream of consecutive cache lines: `[header: UInt32][squared norm: Float]
/// [upper-links offset: UInt32][codes' squared norm: Float][key: UInt64][layer-0 links: M0 × UInt32][codes: dim × UInt8]
/// [vector: dim × Float]`, padded to a multiple of 64 bytes; the codes are there only under
/// ``VectorQuantization/int8`` (one byte a dimension) or `int4` (two dimensions a byte), the
/// vector only when the index keeps its floats in memory (an index with a
/// ``HNSWVectorSource`` reads them from its store instead). The header and links come first
/// (as in hnswlib), so the first cache line — which a search prefetches for every neighbour it
/// is about to score — already holds the liveness flags, the key a filter needs and the start
/// of the links. A quantized traversal reads the lines up to the end of the codes; the floats
/// are read only to re-rank the final candidates.
struct NodeLayout: Sendable, Equatable {
    let dimension: Int
    let maxLinks: Int
    let maxLinksLayer0: Int
    let headerOffset = 0
    let normOffset = 4
    let upperOffsetOffset = 8
    /// The squared norm of the vector the codes decode to (L2 distances on codes need it).
    let codeNormOffset = 12
    let keyOffset = 16
    let linksOffset = 24
    /// Where the codes start (= `vectorOffset` when there are none).
    let codeOffset: Int
    /// Bytes of codes per node: `dimension` under int8 quantization, half of it under int4,
    /// else 0.
    let codeBytes: Int
    /// The largest code (255 or 15), 0 without codes.
    let codeLevels: Int
    /// Whether the blocks hold the float vectors (at `vectorOffset`).
    let floatsInBlocks: Bool
    let vectorOffset: Int
    let stride: Int
    /// Words per upper level of one node: a count followed by `maxLinks` ids.
    let upperLevelWords: Int

    init(dimension: Int, m: Int, quantization: VectorQuantization, floatsInBlocks: Bool) {
        self.dimension = dimension
        maxLinks = m
        maxLinksLayer0 = 2 * m
        codeOffset = (linksOffset + 4 * maxLinksLayer0 + 31) & ~31
        codeLevels = quantization.codeLevels ?? 0
        codeBytes = quantization == .none ? 0 : quantization == .int8 ? dimension : (dimension + 1) / 2
        self.floatsInBlocks = floatsInBlocks
        vectorOffset = (codeOffset + codeBytes + 31) & ~31
        stride = (vectorOffset + (floatsInBlocks ? 4 * dimension : 0) + 63) & ~63
        upperLevelWords = 1 + m
    }
}

/// The graph's memory: one flat block array indexed by node id, and one flat word array for the
/// upper layers (a node of level L owns L consecutive `[count, links…]` records there).
///
/// A plain struct of raw pointers so that a search copies it once into locals and then runs with
/// no reference counting and no exclusivity checks. The owning ``HNSWIndex`` frees the memory.
/// Readers use it only under the index's shared lock; mutation happens under the exclusive lock.
struct GraphStorage {
    let layout: NodeLayout
    private(set) var blocks: UnsafeMutableRawPointer?
    private(set) var capacity: Int = 0
    /// Slots in use: live, deleted and free nodes. Ids are `0..<count`.
    var count: Int = 0
    private(set) var upper: UnsafeMutablePointer<UInt32>?
    private(set) var upperCapacity: Int = 0
    var upperCount: Int = 0
    var entryPoint: UInt32 = noNode
    var maxLevel: Int = -1
    /// Nodes that searches may return.
    var liveCount: Int = 0
    /// Deleted nodes still in the graph, awaiting consolidation.
    var deletedCount: Int = 0
    /// The codes' quantizer once trained (int8 layouts only); until then traversal uses floats.
    var quantizer: ScalarQuantizer?

    init(layout: NodeLayout) { self.layout = layout }

    /// Frees the memory. Only the owner calls it, once, in its `deinit`.
    func deallocate() {
        if let blocks { BlockMapping.unmap(blocks, capacity: capacity, stride: layout.stride) }
        free(upper)
        quantizer?.deallocate()
    }

    // MARK: Field access (O(1); `id < count`)

    @inline(__always) func block(_ id: UInt32) -> UnsafeMutableRawPointer {
        blocks.unsafelyUnwrapped + Int(id) &* layout.stride
    }

    /// - Precondition: `layout.floatsInBlocks`.
    @inline(__always) func vector(_ id: UInt32) -> UnsafeMutablePointer<Float> {
        (block(id) + layout.vectorOffset).assumingMemoryBound(to: Float.self)
    }

    @inline(__always) func codes(_ id: UInt32) -> UnsafeMutablePointer<UInt8> {
        (block(id) + layout.codeOffset).assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always) func key(_ id: UInt32) -> UInt64 {
        block(id).load(fromByteOffset: layout.keyOffset, as: UInt64.self)
    }

    @inline(__always) func header(_ id: UInt32) -> UInt32 {
        block(id).load(fromByteOffset: layout.headerOffset, as: UInt32.self)
    }

    @inline(__always) func flags(_ id: UInt32) -> UInt32 { header(id) >> 24 }
    @inline(__always) func level(_ id: UInt32) -> Int { Int((header(id) >> 16) & 0xff) }
    @inline(__always) func isLive(_ id: UInt32) -> Bool { header(id) >> 24 == 0 }

    @inline(__always) func squaredNorm(_ id: UInt32) -> Float {
        block(id).load(fromByteOffset: layout.normOffset, as: Float.self)
    }

    @inline(__always) func upperOffset(_ id: UInt32) -> Int {
        Int(block(id).load(fromByteOffset: layout.upperOffsetOffset, as: UInt32.self))
    }

    /// The neighbour list of `id` on `level`: a pointer to `count` ids.
    /// - Precondition: `level <= self.level(id)`.
    @inline(__always)
    func links(_ id: UInt32, level: Int) -> (ids: UnsafeMutablePointer<UInt32>, count: Int) {
        if level == 0 {
            let base = block(id)
            let count = Int(base.load(fromByteOffset: layout.headerOffset, as: UInt32.self) & 0xffff)
            return ((base + layout.linksOffset).assumingMemoryBound(to: UInt32.self), count)
        }
        let record = upper.unsafelyUnwrapped + upperOffset(id) + (level - 1) * layout.upperLevelWords
        return (record + 1, Int(record.pointee))
    }

    /// Capacity of the neighbour list on `level`.
    @inline(__always) func maxLinks(level: Int) -> Int {
        level == 0 ? layout.maxLinksLayer0 : layout.maxLinks
    }

    // MARK: Mutation (writer only, under the exclusive lock)

    func setHeader(_ id: UInt32, linkCount: Int, level: Int, flags: UInt32) {
        let word = UInt32(linkCount) | UInt32(level) << 16 | flags << 24
        block(id).storeBytes(of: word, toByteOffset: layout.headerOffset, as: UInt32.self)
    }

    func setFlags(_ id: UInt32, _ flags: UInt32) {
        let word = header(id) & 0x00ff_ffff | flags << 24
        block(id).storeBytes(of: word, toByteOffset: layout.headerOffset, as: UInt32.self)
    }

    /// Replaces the neighbour list of `id` on `level`.
    /// - Precondition: `newLinks.count <= maxLinks(level:)`.
    func setLinks(_ id: UInt32, level: Int, _ newLinks: UnsafeBufferPointer<UInt32>) {
        let (ids, _) = links(id, level: level)
        if newLinks.count > 0 { ids.update(from: newLinks.baseAddress!, count: newLinks.count) }
        if level == 0 {
            let word = header(id) & 0xffff_0000 | UInt32(newLinks.count)
            block(id).storeBytes(of: word, toByteOffset: layout.headerOffset, as: UInt32.self)
        } else {
            (ids - 1).pointee = UInt32(newLinks.count)
        }
    }

    /// Writes a node's payload with empty neighbour lists. The caller sets its flags.
    /// - Parameter fresh: the slot has never held a node (its memory is uninitialised).
    /// - Returns: `false` when the node's codes do not represent its vector (see
    ///   ``ScalarQuantizer/encode(_:into:)``); `true` otherwise, and without codes.
    @discardableResult
    mutating func writeNode(
        _ id: UInt32, fresh: Bool, key: UInt64, vector: UnsafePointer<Float>, squaredNorm: Float, level: Int,
        flags: UInt32
    ) -> Bool {
        let base = block(id)
        if layout.floatsInBlocks {
            (base + layout.vectorOffset).assumingMemoryBound(to: Float.self).update(from: vector, count: layout.dimension)
        }
        let coded = quantizer.map { encode(id, vector, with: $0) } ?? true
        base.storeBytes(of: key, toByteOffset: layout.keyOffset, as: UInt64.self)
        base.storeBytes(of: squaredNorm, toByteOffset: layout.normOffset, as: Float.self)
        // A reused slot keeps its old upper record when that has room for `level` layers.
        var offset = fresh ? 0 : upperOffset(id)
        if level > 0 && (offset == 0 || level > self.level(id)) {
            offset = appendUpperRecord(levels: level)
        }
        base.storeBytes(of: UInt32(truncatingIfNeeded: offset), toByteOffset: layout.upperOffsetOffset, as: UInt32.self)
        setHeader(id, linkCount: 0, level: level, flags: flags)
        for l in stride(from: 1, through: level, by: 1) {
            (upper.unsafelyUnwrapped + offset + (l - 1) * layout.upperLevelWords).pointee = 0
        }
        return coded
    }

    /// A larger block mapping holding a copy of the current nodes, or `nil` when `nodes` slots
    /// already fit. Capacity doubles, so growth is amortised O(1) per node. Reads only: the
    /// writer calls it without the exclusive lock, so searches go on during the copy.
    func grownBlocks(toHold nodes: Int) -> (blocks: UnsafeMutableRawPointer, capacity: Int)? {
        guard nodes > capacity else { return nil }
        let newCapacity = max(nodes, capacity * 2, 64)
        let grown = BlockMapping.map(capacity: newCapacity, stride: layout.stride)
        if let blocks { grown.copyMemory(from: blocks, byteCount: count * layout.stride) }
        return (grown, newCapacity)
    }

    /// Switches to a mapping from ``grownBlocks(toHold:)`` (under the exclusive lock) and
    /// returns the old one for the caller to unmap once the lock is released.
    mutating func adoptBlocks(_ grown: (blocks: UnsafeMutableRawPointer, capacity: Int)) -> (blocks: UnsafeMutableRawPointer, capacity: Int)? {
        let old = blocks.map { ($0, capacity) }
        blocks = grown.blocks
        capacity = grown.capacity
        return old
    }

    /// Grows in place of the two steps above, for a caller that has the graph to itself.
    mutating func reserve(nodes: Int) {
        guard let grown = grownBlocks(toHold: nodes) else { return }
        if let old = adoptBlocks(grown) { BlockMapping.unmap(old.blocks, capacity: old.capacity, stride: layout.stride) }
    }

    private mutating func appendUpperRecord(levels: Int) -> Int {
        let words = levels * layout.upperLevelWords
        if upperCount + words > upperCapacity {
            let newCapacity = max(upperCount + words, upperCapacity * 2, 1024)
            guard let grown = realloc(upper, newCapacity * MemoryLayout<UInt32>.stride) else {
                fatalError("out of memory growing the HNSW upper layers")
            }
            upper = grown.assumingMemoryBound(to: UInt32.self)
            upperCapacity = newCapacity
        }
        // Offset 0 means "no record", so the first record starts at word 1.
        if upperCount == 0 { upperCount = 1 }
        let offset = upperCount
        upperCount += words
        return offset
    }

    /// Copies everything of `other` but its float vectors into this empty storage, whose layout
    /// must match `other`'s up to the floats (same dimension, M and codes). O(nodes·stride).
    mutating func copyGraph(of other: GraphStorage) {
        reserve(nodes: other.count)
        for id in 0..<UInt32(other.count) {
            block(id).copyMemory(from: other.block(id), byteCount: min(layout.vectorOffset, other.layout.vectorOffset))
        }
        if let source = other.upper, other.upperCount > 0 {
            guard let copy = malloc(other.upperCapacity * MemoryLayout<UInt32>.stride) else {
                fatalError("out of memory copying the HNSW upper layers")
            }
            free(upper)
            upper = copy.assumingMemoryBound(to: UInt32.self)
            upper!.update(from: source, count: other.upperCount)
            upperCapacity = other.upperCapacity
        }
        upperCount = other.upperCount
        count = other.count
        entryPoint = other.entryPoint
        maxLevel = other.maxLevel
        liveCount = other.liveCount
        deletedCount = other.deletedCount
        quantizer = other.quantizer?.copy()
    }

    /// Bytes held by the graph (allocated capacity of both arrays).
    var allocatedBytes: Int { capacity * layout.stride + upperCapacity * 4 }

    // MARK: Distances

    /// Distance from a prepared query (normalised for cosine; `querySquaredNorm` for L2) to `id`.
    @inline(__always)
    func distance(_ query: UnsafePointer<Float>, querySquaredNorm: Float, to id: UInt32, metric: Metric) -> Float {
        let base = block(id)
        let dot = cblas_sdot(Int32(truncatingIfNeeded: layout.dimension), query, 1,
                             (base + layout.vectorOffset).assumingMemoryBound(to: Float.self), 1)
        if metric == .cosine { return 1 - dot }
        return metric.distance(dot: dot, queryNormSquared: querySquaredNorm,
                               vectorNormSquared: base.load(fromByteOffset: layout.normOffset, as: Float.self))
    }

    /// Writes `id`'s codes of `vector` and their squared norm; returns whether they represent it.
    @discardableResult
    func encode(_ id: UInt32, _ vector: UnsafePointer<Float>, with quantizer: ScalarQuantizer) -> Bool {
        let fits = quantizer.encode(vector, into: codes(id))
        block(id).storeBytes(of: quantizer.squaredNorm(of: codes(id)), toByteOffset: layout.codeNormOffset, as: Float.self)
        return fits
    }

    /// Approximate distance from a query prepared by ``ScalarQuantizer/prepare(_:weights:)`` to
    /// `id`, from its codes. Requires a trained ``quantizer``.
    @inline(__always)
    func approximateDistance(_ query: QuantizedQuery, to id: UInt32, metric: Metric) -> Float {
        let base = block(id)
        let sum = query.kernel((base + layout.codeOffset).assumingMemoryBound(to: UInt8.self), query.weights,
                               Int32(truncatingIfNeeded: layout.dimension))
        let dot = query.bias + query.scale * Float(sum)
        if metric == .cosine { return 1 - dot }
        // The distance to the decoded vector, so the norm is the decoded one too: the exact
        // norm would add an error of 2·x·(x − decoded), large for vectors far from the origin.
        return metric.distance(dot: dot, queryNormSquared: query.squaredNorm,
                               vectorNormSquared: base.load(fromByteOffset: layout.codeNormOffset, as: Float.self))
    }

    /// Distance between two stored nodes.
    @inline(__always)
    func distance(between a: UInt32, _ b: UInt32, metric: Metric) -> Float {
        distance(vector(a), querySquaredNorm: squaredNorm(a), to: b, metric: metric)
    }

    /// Starts loading the first cache line of a node's block.
    @inline(__always)
    func prefetch(_ id: UInt32) {
        engram_prefetch(block(id))
    }

    /// Starts loading what scoring a node reads: its first cache line (header, key) and its
    /// vector, one prefetch per line. The rest of the links is left for the hardware to fetch
    /// if the node is expanded later.
    @inline(__always)
    func prefetchBlock(_ id: UInt32) {
        prefetchFirstLine(id, andBytes: layout.vectorOffset..<layout.stride)
    }

    /// Starts loading what scoring a node by its codes reads: its first cache line and its codes.
    @inline(__always)
    func prefetchCodes(_ id: UInt32) {
        prefetchFirstLine(id, andBytes: layout.codeOffset..<layout.codeOffset + layout.codeBytes)
    }

    /// One prefetch for the block's first line, and one per cache line of `bytes` in it.
    @inline(__always)
    private func prefetchFirstLine(_ id: UInt32, andBytes bytes: Range<Int>) {
        let base = UnsafeRawPointer(block(id))
        engram_prefetch(base)
        var offset = bytes.lowerBound & ~63
        while offset < bytes.upperBound {
            engram_prefetch(base + offset)
            offset &+= 64
        }
    }

    /// A quantizer trained on every node in the graph whose vector `floats` can read (pending
    /// and deleted ones too: their vectors are data), or `nil` for a layout without codes or an
    /// empty graph. O(nodes·dimension); reads only, so the writer runs it while searches go on.
    func trainQuantizer(_ floats: some FloatVectors) -> ScalarQuantizer? {
        guard layout.codeBytes > 0 else { return nil }
        let rows = (0..<UInt32(count)).lazy.filter { flags($0) & NodeFlags.free == 0 }
        return ScalarQuantizer(dimension: layout.dimension, levels: layout.codeLevels, rows: rows) { floats.vector(self, $0) }
    }

    /// Every node's codes under `trained`, with their squared norms, computed off the lock:
    /// `codeBytes + 4` bytes per slot, in slot order (free slots and unreadable vectors left
    /// zero). O(nodes·dimension).
    func codes(of floats: some FloatVectors, with trained: ScalarQuantizer) -> [UInt8] {
        let width = layout.codeBytes + 4
        var out = [UInt8](repeating: 0, count: count * width)
        out.withUnsafeMutableBytes { raw in
            for id in 0..<UInt32(count) where flags(id) & NodeFlags.free == 0 {
                guard let vector = floats.vector(self, id) else { continue }
                let row = raw.baseAddress! + Int(id) * width
                let codes = row.assumingMemoryBound(to: UInt8.self)
                trained.encode(vector, into: codes)
                row.storeBytes(of: trained.squaredNorm(of: codes), toByteOffset: layout.codeBytes, as: Float.self)
            }
        }
        return out
    }

    /// Writes codes from ``codes(of:with:)`` into the blocks and switches to `trained`; returns
    /// the previous quantizer for the caller to free once no search can hold it. O(nodes·dimension).
    /// Writer only, under the exclusive lock.
    mutating func adoptQuantizer(_ trained: ScalarQuantizer, codes: [UInt8]) -> ScalarQuantizer? {
        let width = layout.codeBytes + 4
        codes.withUnsafeBytes { raw in
            for id in 0..<min(count, raw.count / width) where flags(UInt32(id)) & NodeFlags.free == 0 {
                let row = raw.baseAddress! + id * width
                let base = block(UInt32(id))
                (base + layout.codeOffset).copyMemory(from: row, byteCount: layout.codeBytes)
                base.storeBytes(of: row.loadUnaligned(fromByteOffset: layout.codeBytes, as: Float.self),
                                toByteOffset: layout.codeNormOffset, as: Float.self)
            }
        }
        let previous = quantizer
        quantizer = trained
        return previous
    }
}

/// The node blocks' memory: an anonymous mapping of its own rather than the malloc heap, so
/// that large graphs can use transparent huge pages. A search touches a few hundred blocks
/// scattered over the whole graph; with 4 KiB pages nearly each of them costs a TLB miss and a
/// page walk, with 2 MiB pages a graph of a million 384-d vectors needs under a thousand TLB
/// entries. Small graphs (under 8 MiB) stay on ordinary pages, where a huge page would mostly
/// hold untouched capacity.
enum BlockMapping {
    static let hugePageThreshold = 8 << 20

    static func bytes(capacity: Int, stride: Int) -> Int {
        let page = 4096
        return (capacity * stride + page - 1) / page * page
    }

    static func map(capacity: Int, stride: Int) -> UnsafeMutableRawPointer {
        let size = bytes(capacity: capacity, stride: stride)
        guard let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              address != MAP_FAILED
        else {
            fatalError("out of memory mapping \(size) bytes for the HNSW graph (errno \(errno))")
        }
        if size >= hugePageThreshold {
            _ = madvise(address, size, MADV_HUGEPAGE)  // advisory: without THP support it is a no-op
        }
        return address
    }

    static func unmap(_ address: UnsafeMutableRawPointer, capacity: Int, stride: Int) {
        munmap(address, bytes(capacity: capacity, stride: stride))
    }
}
