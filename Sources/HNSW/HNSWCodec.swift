import VectorMath

/// Why a serialised graph, record or state was refused.
public enum HNSWCodecError: Error, Equatable, CustomStringConvertible {
    case truncated(String)
    case notAnIndex
    /// Written by a newer version of Engram than this one understands.
    case unsupportedVersion(UInt32)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case corrupt(String)

    public var description: String {
        switch self {
        case .truncated(let what): return "serialised index data is truncated (while reading \(what))"
        case .notAnIndex: return "data is not a serialised Engram HNSW index (bad magic)"
        case .unsupportedVersion(let version):
            return "serialised index has format version \(version); this build reads up to \(HNSWIndex.codecVersion)"
        case .checksumMismatch(let stored, let computed):
            return "checksum mismatch (stored \(stored), computed \(computed)): the data is damaged"
        case .corrupt(let reason): return "serialised index is inconsistent: \(reason)"
        }
    }
}

/// The binary snapshot of a whole index.
///
/// Layout (little-endian): magic `EGRMHNSW`, format version, metric, dimension, parameters
/// (with the quantization from version 2; the codes themselves are not written, but trained
/// again from the vectors on decoding),
/// the ``HNSWGraphState`` fields, then per slot its ``HNSWNodeRecord`` and, unless the slot is
/// free, its stored vector; then a CRC-32C of everything before it. Free slots' upper records
/// are not written, so a round trip also reclaims space left behind by reused slots.
extension HNSWIndex {
    /// 1: the first format; 2: adds the quantization after the seed (0 none, 1 int8, 2 int4).
    public static let codecVersion: UInt32 = 2
    static let codecMagic: [UInt8] = Array("EGRMHNSW".utf8)

    /// Serialises the index: a consistent snapshot taken while searches continue (writes wait).
    /// O(nodes·(dimension + M0)). An index with a ``vectorSource`` writes the vectors it reads.
    /// - Throws: ``HNSWError/vectorSourceUnavailable(_:)`` when those cannot be read.
    public func encoded() throws(HNSWError) -> [UInt8] {
        try withWriterLock { () throws(HNSWError) in
            try lock.withReadLock { () throws(HNSWError) in
                let (state, nodes) = snapshotLocked()
                let g = graph
                var out = ByteWriter()
                out.reserve(64 + g.count * (g.layout.stride + 16))
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
                out.append(UInt32(parameters.quantization == .int8 ? 1 : parameters.quantization == .int4 ? 2 : 0))
                state.appendFields(to: &out)
                func appendNodes(_ floats: some FloatVectors) throws(HNSWError) {
                    for record in nodes {
                        record.append(to: &out)
                        guard record.state != .free else { continue }
                        guard let vector = floats.vector(g, record.slot) else {
                            throw .vectorSourceUnavailable("no stored vector for slot \(record.slot)")
                        }
                        for i in 0..<dimension { out.append(vector[i].bitPattern) }
                    }
                }
                if let vectorSource {
                    try vectorSource.withReader { (reader) throws(HNSWError) in try appendNodes(writerFloats(reader)) }
                } else {
                    try appendNodes(BlockFloats())
                }
                out.appendChecksum()
                return out.bytes
            }
        }
    }

    /// Rebuilds an index from ``encoded()`` output without recomputing the graph.
    /// O(nodes·(dimension + M0)). Never traps on damaged input.
    public static func decode(_ bytes: [UInt8]) throws(HNSWCodecError) -> HNSWIndex {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(HNSWCodecError) in try decode(raw) }
        }
        return try result.get()
    }

    public static func decode(_ raw: UnsafeRawBufferPointer) throws(HNSWCodecError) -> HNSWIndex {
        var header = ByteReader(raw)
        let magic = try header.bytes(8, "magic")
        guard magic.elementsEqual(codecMagic) else { throw .notAnIndex }
        let version: UInt32 = try header.read("version")
        guard version <= codecVersion else { throw .unsupportedVersion(version) }
        guard version >= 1 else { throw .corrupt("format version 0") }
        var input = try ByteReader(checksummed: raw, what: "index")
        _ = try input.bytes(12, "header")

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
        if version >= 2 {
            let quantization: UInt32 = try input.read("quantization")
            guard quantization <= 2 else { throw .corrupt("unknown quantization \(quantization)") }
            parameters.quantization = quantization == 1 ? .int8 : quantization == 2 ? .int4 : .none
        } else {
            parameters.quantization = .none
        }
        let state = try HNSWGraphState(reading: &input)
        // Each slot takes at least 16 bytes: reject absurd counts before allocating.
        guard state.slotCount <= input.remaining / 16 else { throw .truncated("\(state.slotCount) nodes") }
        guard (1...HNSWIndex.maxDimension).contains(dimension) else { throw .corrupt("dimension \(dimension)") }

        var records: [HNSWNodeRecord] = []
        records.reserveCapacity(state.slotCount)
        var vectors: [Float] = []
        var vectorOffset: [Int] = []
        for row in 0..<state.slotCount {
            let record = try HNSWNodeRecord(reading: &input)
            guard record.slot == UInt32(row) else { throw .corrupt("record \(row) names slot \(record.slot)") }
            records.append(record)
            vectorOffset.append(vectors.count)
            guard record.state != .free else { continue }
            guard input.remaining >= 4 * dimension else { throw .truncated("vector of slot \(row)") }
            for _ in 0..<dimension { vectors.append(Float(bitPattern: try input.read("vector"))) }
        }
        guard input.remaining == 0 else { throw .corrupt("\(input.remaining) bytes after the last node") }
        do {
            return try restore(
                dimension: dimension, metric: metricCode == 0 ? .cosine : .l2, parameters: parameters, state: state,
                records: records,
                vector: { slot in Array(vectors[vectorOffset[Int(slot)] ..< vectorOffset[Int(slot)] + dimension]) })
        } catch let error as HNSWCodecError {
            throw error
        } catch {
            throw .corrupt("\(error)")
        }
    }
}

/// Little-endian output buffer of the codecs.
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

/// Bounds-checked little-endian input of the codecs: every read names what it reads, so a
/// truncated buffer yields an error that says where it ended.
struct ByteReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    /// A reader over `raw` less its last 4 bytes, after checking that they hold the CRC-32C of
    /// the rest.
    init(checksummed raw: UnsafeRawBufferPointer, what: String) throws(HNSWCodecError) {
        guard raw.count >= 4 else { throw .truncated("checksum of \(what)") }
        let body = UnsafeRawBufferPointer(rebasing: raw[0 ..< raw.count - 4])
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self))
        let computed = CRC32C.checksum(body)
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        self.init(body)
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
