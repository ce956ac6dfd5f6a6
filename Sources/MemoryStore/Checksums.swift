/// CRC-32C (Castagnoli) over record bytes. LMDB has no page checksums, so every entry, audit
/// event, namespace record and vector carries one; the HNSW records carry their own (same
/// polynomial, computed by the HNSW module).
///
/// Slicing-by-8 tables: several times the byte-at-a-time speed (see
/// docs/performance.md#storage-and-lmdb), which matters at open, where every stored vector
/// (150k × 1.5 KiB for a large namespace) is checked. O(bytes).
enum CRC32C {
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82f6_3b78 : crc >> 1 }
            t[byte] = crc
        }
        for byte in 0..<256 {
            for slice in 1..<8 {
                let previous = t[(slice - 1) * 256 + byte]
                t[slice * 256 + byte] = (previous >> 8) ^ t[Int(previous & 0xff)]
            }
        }
        return t
    }()

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        tables.withUnsafeBufferPointer { t in
            var offset = 0
            let count = bytes.count
            while count - offset >= 8 {
                let low = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                crc = t[7 * 256 + Int(low & 0xff)] ^ t[6 * 256 + Int((low >> 8) & 0xff)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xff)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xff)] ^ t[2 * 256 + Int((high >> 8) & 0xff)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xff)] ^ t[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = t[Int((crc ^ UInt32(bytes[offset])) & 0xff)] ^ (crc >> 8)
                offset += 1
            }
        }
        return crc ^ 0xffff_ffff
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
