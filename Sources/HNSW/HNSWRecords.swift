#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import VectorMath

/// Graph-wide facts that a store persists beside the node records.
public struct HNSWGraphState: Sendable, Equatable {
    /// Slots `0..<slotCount` exist (live, deleted or free).
    public var slotCount: Int
    public var liveCount: Int
    public var deletedCount: Int
    /// The node searches start from; `nil` when the graph is empty.
    public var entryPoint: UInt32?
    /// Top layer of the graph; -1 when empty.
    public var maxLevel: Int
    /// State of the level generator, so a restored index draws the same levels.
    public var randomState: UInt64

    public init(slotCount: Int, liveCount: Int, deletedCount: Int, entryPoint: UInt32?, maxLevel: Int, randomState: UInt64) {
        self.slotCount = slotCount
        self.liveCount = liveCount
        self.deletedCount = deletedCount
        self.entryPoint = entryPoint
        self.maxLevel = maxLevel
        self.randomState = randomState
    }

    static let encodedSize = 32

    /// 32 bytes, little-endian, ending in a CRC-32C.
    public func encoded() -> [UInt8] {
        var out = ByteWriter()
        appendFields(to: &out)
        out.appendChecksum()
        return out.bytes
    }

    func appendFields(to out: inout ByteWriter) {
        out.append(UInt32(slotCount))
        out.append(UInt32(liveCount))
        out.append(UInt32(deletedCount))
        out.append(entryPoint ?? noNode)
        out.append(UInt32(bitPattern: Int32(maxLevel)))
        out.append(randomState)
    }

    public init(decoding bytes: [UInt8]) throws(HNSWCodecError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(HNSWCodecError) in
                var input = try ByteReader(checksummed: raw, what: "graph state")
                let state = try HNSWGraphState(reading: &input)
                guard input.remaining == 0 else { throw .corrupt("graph state has \(input.remaining) trailing bytes") }
                return state
            }
        }
        self = try result.get()
    }

    init(reading input: inout ByteReader) throws(HNSWCodecError) {
        slotCount = Int(try input.read("slot count") as UInt32)
        liveCount = Int(try input.read("live count") as UInt32)
        deletedCount = Int(try input.read("deleted count") as UInt32)
        let entry: UInt32 = try input.read("entry point")
        entryPoint = entry == noNode ? nil : entry
        maxLevel = Int(Int32(bitPattern: try input.read("max level")))
        randomState = try input.read("generator state")
        guard (-1...30).contains(maxLevel) else { throw .corrupt("max level \(maxLevel)") }
        guard liveCount + deletedCount <= slotCount else { throw .corrupt("more live and deleted nodes than slots") }
        guard (entryPoint == nil) == (maxLevel == -1) else { throw .corrupt("entry point and max level disagree") }
    }
}

/// One node of the graph, without its vector: what a store persists per slot.
public struct HNSWNodeRecord: Sendable, Equatable {
    public enum State: UInt8, Sendable {
        /// Returned by searches.
        case live = 0
        /// Removed: never returned, still traversed until consolidation.
        case deleted = 1
        /// Unused slot: no links, no vector needed.
        case free = 2
    }

    public var slot: UInt32
    public var key: UInt64
    public var state: State
    /// Neighbour lists, one per level from 0 up to the node's level.
    public var links: [[UInt32]]

    public var level: Int { links.count - 1 }

    public init(slot: UInt32, key: UInt64, state: State, links: [[UInt32]]) {
        self.slot = slot
        self.key = key
        self.state = state
        self.links = links
    }

    /// Little-endian: slot, key, state, level, then per level a count and the ids; a CRC-32C
    /// closes it so a store can detect a damaged record.
    public func encoded() -> [UInt8] {
        var out = ByteWriter()
        append(to: &out)
        out.appendChecksum()
        return out.bytes
    }

    func append(to out: inout ByteWriter) {
        out.append(slot)
        out.append(key)
        out.append(state.rawValue)
        out.append(UInt8(links.count - 1))
        for list in links {
            out.append(UInt16(list.count))
            for id in list { out.append(id) }
        }
    }

    public init(decoding bytes: [UInt8]) throws(HNSWCodecError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(HNSWCodecError) in
                var input = try ByteReader(checksummed: raw, what: "node record")
                let record = try HNSWNodeRecord(reading: &input)
                guard input.remaining == 0 else { throw .corrupt("node record has \(input.remaining) trailing bytes") }
                return record
            }
        }
        self = try result.get()
    }

    init(reading input: inout ByteReader) throws(HNSWCodecError) {
        slot = try input.read("slot")
        key = try input.read("key")
        let stateCode: UInt8 = try input.read("state")
        guard let state = State(rawValue: stateCode) else { throw .corrupt("slot \(slot): state \(stateCode)") }
        self.state = state
        let level = Int(try input.read("level") as UInt8)
        guard level <= 30 else { throw .corrupt("slot \(slot): level \(level)") }
        var links: [[UInt32]] = []
        for _ in 0...level {
            let count = Int(try input.read("link count") as UInt16)
            guard count <= input.remaining / 4 else { throw .truncated("links of slot \(slot)") }
            var list: [UInt32] = []
            list.reserveCapacity(count)
            for _ in 0..<count { list.append(try input.read("link")) }
            links.append(list)
        }
        self.links = links
    }
}

/// A vector a batch wrote, in the stored form (normalised under cosine).
public struct HNSWStoredVector: Sendable, Equatable {
    public var slot: UInt32
    public var vector: [Float]
}

/// Everything a write batch changes, as it will be after commit: persist it with the data.
public struct HNSWDelta: Sendable, Equatable {
    public var state: HNSWGraphState
    /// Final records of every slot whose links, state or payload changed. A `.free` record means
    /// the slot's vector is no longer needed.
    public var nodes: [HNSWNodeRecord]
    /// Vectors written into slots by inserts and updates.
    public var vectors: [HNSWStoredVector]
}

extension HNSWIndex {
    func delta(of batch: borrowing HNSWWriteBatch) -> HNSWDelta {
        lock.withReadLock {
            let g = graph
            let freed = Set(batch.freed)
            let removed = Set(batch.removed)
            let inserted = Set(batch.inserted)
            func state(of node: UInt32) -> HNSWNodeRecord.State {
                if freed.contains(node) { return .free }
                if removed.contains(node) { return .deleted }
                if inserted.contains(node) { return .live }
                return recordState(g.flags(node))
            }
            let nodes = batch.touched.sorted().map { node in record(g, node, state: state(of: node)) }
            // Written slots are the batch's own: in the blocks, or pending beside them.
            let vectors = batch.written.filter { !freed.contains($0) }.map { slot in
                let vector = g.layout.floatsInBlocks ? UnsafePointer(g.vector(slot)) : UnsafePointer(pendingVectors![slot]!)
                return HNSWStoredVector(slot: slot, vector: Array(UnsafeBufferPointer(start: vector, count: dimension)))
            }
            let graphState = HNSWGraphState(
                slotCount: g.count,
                liveCount: g.liveCount + batch.inserted.count - batch.removed.count,
                deletedCount: g.deletedCount + batch.removed.count - batch.freed.count,
                entryPoint: g.entryPoint == noNode ? nil : g.entryPoint, maxLevel: g.maxLevel,
                randomState: random.state)
            return HNSWDelta(state: graphState, nodes: nodes, vectors: vectors)
        }
    }

    func recordState(_ flags: UInt32) -> HNSWNodeRecord.State {
        if flags & NodeFlags.free != 0 { return .free }
        if flags & NodeFlags.deleted != 0 { return .deleted }
        return .live
    }

    /// The record of `node` with the given state (a free slot has no links).
    func record(_ g: GraphStorage, _ node: UInt32, state: HNSWNodeRecord.State) -> HNSWNodeRecord {
        guard state != .free else { return HNSWNodeRecord(slot: node, key: g.key(node), state: .free, links: [[]]) }
        let links = (0...g.level(node)).map { level -> [UInt32] in
            let (ids, count) = g.links(node, level: level)
            return Array(UnsafeBufferPointer(start: ids, count: count))
        }
        return HNSWNodeRecord(slot: node, key: g.key(node), state: state, links: links)
    }

    /// The graph's state and every slot's record: a full snapshot for a store. Writes wait.
    public func snapshot() -> (state: HNSWGraphState, nodes: [HNSWNodeRecord]) {
        withWriterLock { lock.withReadLock { snapshotLocked() } }
    }

    /// ``snapshot()`` for a caller that holds the writer lock and the shared lock.
    func snapshotLocked() -> (state: HNSWGraphState, nodes: [HNSWNodeRecord]) {
        let g = graph
        let state = HNSWGraphState(
            slotCount: g.count, liveCount: g.liveCount, deletedCount: g.deletedCount,
            entryPoint: g.entryPoint == noNode ? nil : g.entryPoint, maxLevel: g.maxLevel,
            randomState: random.state)
        let nodes = (0..<UInt32(g.count)).map { record(g, $0, state: recordState(g.flags($0))) }
        return (state, nodes)
    }

    /// The machine's memory, the bound on a restored graph's size.
    static var physicalMemoryBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return .max }
        return pages.multipliedReportingOverflow(by: size).overflow ? .max : pages * size
    }

    /// Rebuilds an index from persisted records and vectors, without recomputing the graph.
    ///
    /// O(slots·(dimension + M0)). Slots without a record are free. Every id, count and level is
    /// checked and the structure verified, so damaged input throws and never traps.
    /// - Parameters:
    ///   - vector: the stored vector of a live or deleted slot (`nil` if missing).
    ///   - vectorSource: as in ``init(dimension:metric:parameters:vectorSource:)``: the restored
    ///     index keeps only links and codes, and `vector` is read to check each vector and take
    ///     its norm.
    public static func restore(
        dimension: Int, metric: Metric, parameters: HNSWParameters, state: HNSWGraphState,
        records: [HNSWNodeRecord], vectorSource: (any HNSWVectorSource)? = nil, vector: (UInt32) throws -> [Float]?
    ) throws -> HNSWIndex {
        let index: HNSWIndex
        do {
            index = try HNSWIndex(dimension: dimension, metric: metric, parameters: parameters, vectorSource: vectorSource)
        } catch {
            throw HNSWCodecError.corrupt(error.description)
        }
        let slots = state.slotCount
        // The slot count comes from disk: one that this machine could not hold is damage, and
        // must be reported before anything is allocated for it.
        let (bytes, overflow) = slots.multipliedReportingOverflow(by: index.graph.layout.stride)
        guard slots < Int(UInt32.max - 1), !overflow, bytes <= Self.physicalMemoryBytes else {
            throw HNSWCodecError.corrupt("the graph state claims \(slots) slots, more than this machine can hold")
        }
        var bySlot: [UInt32: HNSWNodeRecord] = [:]
        bySlot.reserveCapacity(records.count)
        for record in records {
            guard Int(record.slot) < slots else { throw HNSWCodecError.corrupt("record for slot \(record.slot) beyond \(slots) slots") }
            guard bySlot.updateValue(record, forKey: record.slot) == nil else {
                throw HNSWCodecError.corrupt("two records for slot \(record.slot)")
            }
        }
        // The entry point must be a node at the top level (an insert descends from it through
        // every level), and there is one exactly when there are nodes.
        if let entry = state.entryPoint {
            guard let record = bySlot[entry], record.state != .free, record.level == state.maxLevel else {
                throw HNSWCodecError.corrupt("entry point \(entry) is not a node of level \(state.maxLevel)")
            }
        } else if !records.allSatisfy({ $0.state == .free }) {
            throw HNSWCodecError.corrupt("the graph has nodes but no entry point")
        }
        try index.withWriterLock {
            try index.lock.withWriteLock {
                var g = index.graph
                defer { index.graph = g }
                // Headroom, so the first inserts after a restore do not copy the whole graph.
                g.reserve(nodes: slots + slots / 4)
                let zeros = [Float](repeating: 0, count: dimension)
                for row in 0..<slots {
                    let node = UInt32(row)
                    let record = bySlot[node] ?? HNSWNodeRecord(slot: node, key: 0, state: .free, links: [[]])
                    g.count = row + 1
                    if record.state == .free {
                        g.writeNode(node, fresh: true, key: record.key, vector: zeros, squaredNorm: 0, level: 0, flags: NodeFlags.free)
                        index.freeSlots.append(node)
                        continue
                    }
                    guard let stored = try vector(node) else { throw HNSWCodecError.corrupt("slot \(row) has no vector") }
                    guard stored.count == dimension else {
                        throw HNSWCodecError.corrupt("slot \(row) has a vector of dimension \(stored.count), expected \(dimension)")
                    }
                    guard stored.allSatisfy(\.isFinite) else { throw HNSWCodecError.corrupt("slot \(row) has a non-finite vector") }
                    let norm = Kernels.dot(stored, stored)
                    let flags = record.state == .live ? 0 : NodeFlags.deleted
                    _ = stored.withUnsafeBufferPointer {
                        g.writeNode(node, fresh: true, key: record.key, vector: $0.baseAddress!, squaredNorm: norm, level: record.level, flags: flags)
                    }
                    for (level, list) in record.links.enumerated() {
                        guard list.count <= g.maxLinks(level: level) else {
                            throw HNSWCodecError.corrupt("slot \(row) level \(level): \(list.count) links")
                        }
                        guard list.allSatisfy({ Int($0) < slots }) else { throw HNSWCodecError.corrupt("slot \(row): link out of range") }
                        list.withUnsafeBufferPointer { g.setLinks(node, level: level, $0) }
                    }
                    if record.state == .live {
                        guard index.nodeOfKey.updateValue(node, forKey: record.key) == nil else {
                            throw HNSWCodecError.corrupt("key \(record.key) appears twice")
                        }
                    }
                }
                guard state.entryPoint.map({ Int($0) < slots }) ?? true else {
                    throw HNSWCodecError.corrupt("entry point \(state.entryPoint!) beyond \(slots) slots")
                }
                g.liveCount = state.liveCount
                g.deletedCount = state.deletedCount
                g.entryPoint = state.entryPoint ?? noNode
                g.maxLevel = state.maxLevel
                index.freeSlots.reverse()
                index.random = SplitMix64(seed: state.randomState)
            }
        }
        let problems = index.verifyStructure()
        guard problems.isEmpty else {
            throw HNSWCodecError.corrupt(problems.prefix(3).joined(separator: "; ") + (problems.count > 3 ? " (\(problems.count) problems)" : ""))
        }
        // Codes are derived data: a quantized index past its first training trains them again
        // from the stored vectors.
        index.withWriterLock { index.trainQuantizerIfDue() }
        return index
    }
}
