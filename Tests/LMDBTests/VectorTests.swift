import LMDB
import Testing

@Suite struct VectorTests {
    /// LMDB gives values no useful alignment (a leaf value follows its key at any byte
    /// offset). Vectors stored after 0–3 prefix bytes land at every alignment; the unaligned
    /// views must decode all of them exactly.
    @Test func unalignedFloatLoads() throws {
        let vector: [Float] = (0..<384).map { Float($0) * 0.25 - 17.5 }
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "vectors")
            try env.write { txn throws in
                for shift in 0..<4 {
                    try txn.put([UInt8](repeating: 0x7F, count: shift) + vector.float32Bytes, forKey: b("v\(shift)"), in: db)
                }
                try txn.put(floats: vector, forKey: UInt64Key(1), in: db)
                try txn.put(floats: vector[3..<10], forKey: UInt64Key(2), in: db)
                try txn.put(b("abc"), forKey: b("bad"), in: db)
            }
            try env.read { txn throws in
                var misaligned = 0
                for shift in 0..<4 {
                    let decoded = try txn.withValue(forKey: b("v\(shift)"), in: db) { raw throws -> [Float] in
                        let body = UnsafeRawBufferPointer(rebasing: raw[shift...])
                        if Int(bitPattern: body.baseAddress) % MemoryLayout<Float>.alignment != 0 { misaligned += 1 }
                        let view = UnalignedFloat32Buffer(body)!
                        #expect(view.count == 384)
                        #expect(view[383] == vector[383])
                        var copied = [Float](repeating: 0, count: view.count)
                        copied.withUnsafeMutableBufferPointer { view.copy(into: $0) }
                        #expect(copied == Array(view))
                        return [Float](float32Bytes: body)!
                    }
                    #expect(decoded == vector)
                }
                #expect(misaligned >= 2)  // at least the odd shifts
                #expect(try txn.floats(forKey: UInt64Key(1), in: db) == vector)
                #expect(try txn.floats(forKey: UInt64Key(2), in: db) == Array(vector[3..<10]))
                #expect(try txn.floats(forKey: UInt64Key(3), in: db) == nil)
                #expect(throws: LMDBError.badValueSize) { try txn.floats(forKey: b("bad"), in: db) }
                #expect(try txn.withValue(forKey: UInt64Key(1), in: db) { $0.count } == 384 * 4)
            }
        }
        // Little-endian layout, independent of the machine.
        #expect([Float(1)].float32Bytes == [0x00, 0x00, 0x80, 0x3F])
    }

    @Test func bigEndianHelpers() {
        var bytes: [UInt8] = [9]
        bytes.appendBigEndian(UInt64(0x0102_0304_0506_0708))
        bytes.appendBigEndian(UInt32(0xAABB_CCDD))
        #expect(bytes == [9, 1, 2, 3, 4, 5, 6, 7, 8, 0xAA, 0xBB, 0xCC, 0xDD])
        #expect(UInt64(bigEndianBytes: bytes, at: 1) == 0x0102_0304_0506_0708)
        #expect(UInt32(bigEndianBytes: bytes, at: 9) == 0xAABB_CCDD)
        #expect(UInt32(bigEndianBytes: bytes, at: 10) == nil)
        #expect(UInt64Key(Array(bytes[1...8]))?.value == 0x0102_0304_0506_0708)
        #expect(UInt64Key(bytes) == nil)
        #expect(UInt64Key(1) < UInt64Key(256))
    }
}
