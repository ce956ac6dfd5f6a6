import VectorMath

/// Why a serialised graph was refused.
public enum HNSWCodecError: Error, Equatable, CustomStringConvertible {
    case truncated(String)
    case notAnIndex
    /// Written by a newer version of Engram than this one understands.
    case unsupportedVersion(UInt32)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case corrupt(String)

    public var description: String {
        switch self {
        case .truncated(let what): return "serialised index is truncated (while reading \(what))"
        case .notAnIndex: return "data is not a serialised Engram HNSW index (bad magic)"
        case .unsupportedVersion(let version):
            return "serialised index has format version \(version); this build reads up to \(HNSWIndex.codecVersion)"
        case .checksumMismatch(let stored, let computed):
            return "serialised index checksum mismatch (stored \(stored), computed \(computed)): the data is damaged"
        case .corrupt(let reason): return "serialised index is inconsistent: \(reason)"
        }
    }
}

/// The binary snapshot of an index.
///
/// Layout (little-endian): magic `EGRMHNSW`, format version, metric, dimension and parameters,
/// slot/live/deleted counts, entry point, top level, generator state; then per slot its header
/// word, key, squared norm, vector, layer-0 links (count from the header) and, per upper level,
/// a count and the links; then a CRC-32C of everything before it. Upper records are written
/// compactly, so a round trip also reclaims space left by reused slots.
extension HNSWIndex {
    public static let codecVersion: UInt32 = 1
    static let codecMagic: [UInt8] = Array("EGRMHNSW".utf8)

    /// Serialises the index: a consistent snapshot taken while searches continue (writes wait).
    /// O(nodes·(dimension + M0)).
    public func encoded() -> [UInt8] {
        writer.withLock { state in
            lock.withReadLock {
                let g = graph
                var out = ByteWriter()
                out.reserve(64 + g.count * (g.layout.stride + 16) + g.upperCount * 4)
                out.append(bytes: Self.codecMagic)
                out.append(Self.codecVersion)
                out.append(UInt32(metric == .cosine ? 0 : 1))
                out.append(UInt32(dimension))
                out.append(UInt32(parameters.m))
                out.append(UInt32(parameters.efConstruction))
                out.append(UInt32(parameters.efSearch))
                out.append(UInt32(parameters.flatThreshold))
                out.append(parameters.consolidationFraction.bitPattern)
                out.append(parameters.seed)
                out.append(UInt32(g.count))
                out.append(UInt32(g.liveCount))
                out.append(UInt32(g.deletedCount))
                out.append(g.entryPoint)
                out.append(UInt32(bitPattern: Int32(g.maxLevel)))
                out.append(state.random.state)
                for row in 0..<g.count {
                    let node = UInt32(row)
                    out.append(g.header(node))
                    out.append(g.key(node))
                    out.append(g.squaredNorm(node).bitPattern)
                    let vector = g.vector(node)
                    for i in 0..<dimension { out.append(vector[i].bitPattern) }
                    let (ids, count) = g.links(node, level: 0)
                    for i in 0..<count { out.append(ids[i]) }
                    if g.flags(node) & NodeFlags.free == 0 {
                        for level in stride(from: 1, through: g.level(node), by: 1) {
                            let (upperIds, upperCount) = g.links(node, level: level)
                            out.append(UInt32(upperCount))
                            for i in 0..<upperCount { out.append(upperIds[i]) }
                        }
                    }
                }
                out.appendChecksum()
                return out.bytes
            }
        }
    }

    /// Rebuilds an index from ``encoded()`` output without recomputing the graph.
    /// O(nodes·(dimension + M0)). Never traps on damaged input: every count, id and level is
    /// checked, and the structure is verified before the index is returned.
    public static func decode(_ bytes: [UInt8]) throws(HNSWCodecError) -> HNSWIndex {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(HNSWCodecError) in try decode(raw) }
        }
        return try result.get()
    }

    public static func decode(_ raw: UnsafeRawBufferPointer) throws(HNSWCodecError) -> HNSWIndex {
        var input = ByteReader(raw)
        let magic = try input.bytes(8, "magic")
        guard magic.elementsEqual(codecMagic) else { throw .notAnIndex }
        let version: UInt32 = try input.read("version")
        guard version <= codecVersion else { throw .unsupportedVersion(version) }
        guard version >= 1 else { throw .corrupt("format version 0") }
        guard raw.count >= 4 + input.offset else { throw .truncated("checksum") }
        let stored = raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self).littleEndian
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0 ..< raw.count - 4]))
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        input = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0 ..< raw.count - 4]), offset: input.offset)

        let metricCode: UInt32 = try input.read("metric")
        guard metricCode <= 1 else { throw .corrupt("unknown metric \(metricCode)") }
        let dimension = Int(try input.read("dimension") as UInt32)
        var parameters = HNSWParameters()
        parameters.m = Int(try input.read("M") as UInt32)
        parameters.efConstruction = Int(try input.read("efConstruction") as UInt32)
        parameters.efSearch = Int(try input.read("efSearch") as UInt32)
        parameters.flatThreshold = Int(try input.read("flatThreshold") as UInt32)
        parameters.consolidationFraction = Double(bitPattern: try input.read("consolidationFraction"))
        parameters.seed = try input.read("seed")
        let index: HNSWIndex
        do {
            index = try HNSWIndex(dimension: dimension, metric: metricCode == 0 ? .cosine : .l2, parameters: parameters)
        } catch {
            throw .corrupt(error.description)
        }
        let slots = Int(try input.read("slot count") as UInt32)
        let live = Int(try input.read("live count") as UInt32)
        let deleted = Int(try input.read("deleted count") as UInt32)
        let entryPoint: UInt32 = try input.read("entry point")
        let maxLevel = Int(Int32(bitPattern: try input.read("max level")))
        let randomState: UInt64 = try input.read("generator state")
        // Each slot takes at least its fixed fields: reject absurd counts before allocating.
        guard slots <= input.remaining / (16 + 4 * dimension) else { throw .truncated("\(slots) nodes") }
        guard (-1...30).contains(maxLevel) else { throw .corrupt("max level \(maxLevel)") }

        try index.writer.withLock { (state) throws(HNSWCodecError) in
            try index.lock.withWriteLock { () throws(HNSWCodecError) in
                var g = index.graph
                defer { index.graph = g }
                g.reserve(nodes: slots)
                let vector = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
                defer { vector.deallocate() }
                var links: [UInt32] = []
                for row in 0..<slots {
                    let node = UInt32(row)
                    let header: UInt32 = try input.read("node header")
                    let key: UInt64 = try input.read("node key")
                    let norm = Float(bitPattern: try input.read("node norm"))
                    for i in 0..<dimension { vector[i] = Float(bitPattern: try input.read("vector")) }
                    let linkCount = Int(header & 0xffff)
                    let level = Int((header >> 16) & 0xff)
                    let flags = header >> 24
                    guard level <= 30, flags <= NodeFlags.free else { throw .corrupt("node \(row): header \(header)") }
                    guard linkCount <= g.layout.maxLinksLayer0 else { throw .corrupt("node \(row): \(linkCount) links") }
                    g.count = row + 1
                    let isFree = flags & NodeFlags.free != 0
                    g.writeNode(node, fresh: true, key: key, vector: vector, squaredNorm: norm,
                                level: isFree ? 0 : level, flags: flags)
                    if isFree { g.setHeader(node, linkCount: 0, level: 0, flags: flags) }
                    links.removeAll(keepingCapacity: true)
                    for _ in 0..<linkCount { links.append(try input.read("links")) }
                    guard links.allSatisfy({ Int($0) < slots }) else { throw .corrupt("node \(row): link out of range") }
                    links.withUnsafeBufferPointer { g.setLinks(node, level: 0, $0) }
                    if isFree {
                        state.freeSlots.append(node)
                        continue
                    }
                    for upperLevel in stride(from: 1, through: level, by: 1) {
                        let count = Int(try input.read("upper link count") as UInt32)
                        guard count <= g.layout.maxLinks else { throw .corrupt("node \(row) level \(upperLevel): \(count) links") }
                        links.removeAll(keepingCapacity: true)
                        for _ in 0..<count { links.append(try input.read("upper links")) }
                        guard links.allSatisfy({ Int($0) < slots }) else { throw .corrupt("node \(row): link out of range") }
                        links.withUnsafeBufferPointer { g.setLinks(node, level: upperLevel, $0) }
                    }
                    if flags == 0 {
                        guard state.nodeOfKey.updateValue(node, forKey: key) == nil else {
                            throw .corrupt("key \(key) appears twice")
                        }
                    }
                }
                guard input.remaining == 0 else { throw .corrupt("\(input.remaining) bytes after the last node") }
                guard entryPoint == noNode || Int(entryPoint) < slots else { throw .corrupt("entry point \(entryPoint)") }
                g.liveCount = live
                g.deletedCount = deleted
                g.entryPoint = entryPoint
                g.maxLevel = maxLevel
                state.freeSlots.reverse()
                state.random = SplitMix64(seed: randomState)
            }
        }
        let problems = index.verifyStructure()
        guard problems.isEmpty else {
            throw .corrupt(problems.prefix(3).joined(separator: "; ") + (problems.count > 3 ? " (\(problems.count) problems)" : ""))
        }
        return index
    }
}

/// Little-endian output buffer of the codec.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }
    mutating func append(bytes more: [UInt8]) { bytes.append(contentsOf: more) }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendChecksum() {
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        append(crc)
    }
}

/// Bounds-checked little-endian input of the codec: every read names what it reads, so a
/// truncated buffer yields an error that says where it ended.
struct ByteReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    var remaining: Int { buffer.count - offset }

    mutating func read<T: FixedWidthInteger>(_ what: String) throws(HNSWCodecError) -> T {
        guard remaining >= MemoryLayout<T>.size else { throw .truncated(what) }
        let value = T(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func bytes(_ count: Int, _ what: String) throws(HNSWCodecError) -> UnsafeRawBufferPointer {
        guard remaining >= count else { throw .truncated(what) }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset ..< offset + count])
    }
}
