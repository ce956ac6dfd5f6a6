#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HNSW
import LMDB
import EngramJSON

/// The envelope of JSON records (entries, audit events, namespaces):
/// `[format: UInt8 = 1][CRC-32C of the JSON: UInt32 LE][JSON (UTF-8, sorted keys)]`.
///
/// Why JSON: these records are read one at a time (get, list, history) where decoding one is
/// cheap beside the rest of the request, their fields will grow (optional fields decode as
/// absent from older records, so adding one needs no migration), metadata is JSON already, and
/// an operator can read them with `mdb_dump`. The hot data (vectors, graph nodes) is binary.
/// Why the checksum: LMDB checks page structure but not contents, so a flipped bit in a value
/// would otherwise decode into plausible wrong data.
enum RecordCodec {
    static let format: UInt8 = 1
    static let headerSize = 5

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array(try encoder.encode(value))
        var out: [UInt8] = [format]
        out.reserveCapacity(json.count + headerSize)
        withUnsafeBytes(of: CRC32C.checksum(json).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        return out
    }

    /// Decodes an envelope; `what` names the record in errors ("entry 42 of namespace x").
    /// - Throws: `MemoryStoreError.corrupt` for a short record, unknown format, checksum
    ///   mismatch or undecodable JSON. Never traps.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: @autoclosure () -> String) throws -> T {
        let json = try checkedJSON(bytes, what: what())
        do {
            return try JSONDecoder().decode(T.self, from: Data(json))
        } catch {
            throw MemoryStoreError.corrupt("\(what()): undecodable: \(error)")
        }
    }

    /// An entry record: the same result as the generic form (which call sites naming
    /// `MemoryEntry.self` get instead), read with ``JSONReader`` rather than `JSONDecoder`.
    ///
    /// Why: every search hit reads its entry, and `JSONDecoder` on each made up a large share of
    /// an in-process search (see docs/performance.md#json-and-wire-codecs). A record the reader
    /// does not take (written by a future version with a field given twice, or damaged) goes
    /// through `JSONDecoder`, so the answer, or the error, is exactly the generic one.
    static func decode(_ type: MemoryEntry.Type, from bytes: [UInt8], what: @autoclosure () -> String) throws -> MemoryEntry {
        let json = try checkedJSON(bytes, what: what())
        let entry: MemoryEntry? = json.withUnsafeBytes { raw in
            var reader = JSONReader(raw)
            guard let entry = try? MemoryEntry(reading: &reader, date: MemoryEntry.readReferenceDate),
                  (try? reader.expectEnd()) != nil else { return nil }
            return entry
        }
        if let entry { return entry }
        do {
            return try JSONDecoder().decode(MemoryEntry.self, from: Data(json))
        } catch {
            throw MemoryStoreError.corrupt("\(what()): undecodable: \(error)")
        }
    }

    /// The JSON of an envelope whose format and checksum are right.
    private static func checkedJSON(_ bytes: [UInt8], what: @autoclosure () -> String) throws -> ArraySlice<UInt8> {
        guard bytes.count > headerSize else {
            throw MemoryStoreError.corrupt("\(what()): record of \(bytes.count) bytes is truncated")
        }
        guard bytes[0] == format else {
            throw MemoryStoreError.corrupt("\(what()): unknown record format \(bytes[0])")
        }
        let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 1, as: UInt32.self)) }
        let json = bytes[headerSize...]
        let computed = json.withUnsafeBytes { CRC32C.checksum($0) }
        guard stored == computed else {
            throw MemoryStoreError.corrupt("\(what()): checksum mismatch (stored \(stored), computed \(computed))")
        }
        return json
    }
}

/// Stored vectors: `dimension` float32s little-endian, then the CRC-32C of those bytes (LE).
enum VectorCodec {
    static func encode(_ vector: [Float]) -> [UInt8] {
        var bytes = vector.float32Bytes
        let crc = CRC32C.checksum(bytes)
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Decodes and checks a stored vector borrowed from the map (unaligned).
    /// - Throws: `MemoryStoreError.corrupt` for a wrong length or checksum.
    static func decode(_ raw: UnsafeRawBufferPointer, dimension: Int, what: @autoclosure () -> String) throws -> [Float] {
        // `dimension` may come from a damaged namespace record (salvage reads those directly).
        guard (1...HNSWIndex.maxDimension).contains(dimension) else {
            throw MemoryStoreError.corrupt("\(what()): the namespace's dimension \(dimension) is impossible")
        }
        guard raw.count == dimension * 4 + 4 else {
            throw MemoryStoreError.corrupt("\(what()): vector of \(raw.count) bytes, expected \(dimension * 4 + 4)")
        }
        let body = UnsafeRawBufferPointer(rebasing: raw[0..<(dimension * 4)])
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dimension * 4, as: UInt32.self))
        let computed = CRC32C.checksum(body)
        guard stored == computed else {
            throw MemoryStoreError.corrupt("\(what()): vector checksum mismatch (stored \(stored), computed \(computed))")
        }
        return [Float](float32Bytes: body)!
    }
}

/// A namespace record: its configuration and the numeric id its keys use.
struct StoredNamespace: Codable, Sendable {
    var id: UInt32
    var config: NamespaceConfig
}
