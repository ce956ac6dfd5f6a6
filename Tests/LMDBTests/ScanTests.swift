import LMDB
import Testing

@Suite struct ScanTests {
    /// Random UInt64s put as big-endian keys come back in numeric order, both ways.
    @Test func bigEndianKeysSortNumerically() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "seq")
            var generator = SystemRandomNumberGenerator()
            var values = Set<UInt64>([0, 1, 255, 256, 65_535, 65_536, UInt64.max, UInt64.max - 1])
            while values.count < 2_000 { values.insert(UInt64.random(in: 0...UInt64.max, using: &generator)) }
            try env.write { txn throws in
                for v in values { try txn.put(UInt64Key(v).bytes, forKey: UInt64Key(v), in: db) }
            }
            let sorted = values.sorted()
            try env.read { txn throws in
                let forward = try txn.keys(in: db).map { UInt64Key($0)!.value }
                #expect(forward == sorted)
                let backward = try txn.keys(in: db, reverse: true).map { UInt64Key($0)!.value }
                #expect(backward == sorted.reversed())
                #expect(try txn.last(in: db).flatMap { UInt64Key($0.key)?.value } == UInt64.max)
                #expect(try txn.first(in: db).flatMap { UInt64Key($0.key)?.value } == 0)
            }
        }
    }

    @Test func rangesForwardAndBackward() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "seq")
            // Keys 10, 20, …, 100.
            try env.write { txn throws in
                for i in stride(from: 10, through: 100, by: 10) as StrideThrough<UInt64> {
                    try txn.put(b("\(i)"), forKey: UInt64Key(i), in: db)
                }
            }
            func scan(_ range: KeyRange, reverse: Bool = false, limit: Int = .max) throws -> [UInt64] {
                try env.read { try $0.keys(in: db, range: range, reverse: reverse, limit: limit) }.map { UInt64Key($0)!.value }
            }
            #expect(try scan(.from(UInt64Key(35))) == [40, 50, 60, 70, 80, 90, 100])
            #expect(try scan(.from(UInt64Key(40))) == [40, 50, 60, 70, 80, 90, 100])
            #expect(try scan(.from(UInt64Key(101))) == [])
            #expect(try scan(.upTo(UInt64Key(40))) == [10, 20, 30])
            #expect(try scan(.through(UInt64Key(40))) == [10, 20, 30, 40])
            #expect(try scan(.between(UInt64Key(20), UInt64Key(50))) == [20, 30, 40])
            #expect(try scan(.closed(UInt64Key(20), UInt64Key(50))) == [20, 30, 40, 50])
            #expect(try scan(.between(UInt64Key(50), UInt64Key(20))) == [])
            // Backward: the newest records before a sequence number, as in audit paging.
            #expect(try scan(.upTo(UInt64Key(40)), reverse: true) == [30, 20, 10])
            #expect(try scan(.through(UInt64Key(40)), reverse: true) == [40, 30, 20, 10])
            #expect(try scan(.through(UInt64Key(45)), reverse: true) == [40, 30, 20, 10])
            #expect(try scan(.upTo(UInt64Key(1_000)), reverse: true, limit: 2) == [100, 90])
            #expect(try scan(.between(UInt64Key(20), UInt64Key(50)), reverse: true) == [40, 30, 20])
            #expect(try scan(.closed(UInt64Key(25), UInt64Key(60)), reverse: true) == [60, 50, 40, 30])
            #expect(try scan(.upTo(UInt64Key(10)), reverse: true) == [])
            #expect(try scan(.all, limit: 3) == [10, 20, 30])
            #expect(try env.read { try $0.count(in: db, range: .between(UInt64Key(20), UInt64Key(50))) } == 3)
            // Early stop from the borrowing visitor.
            var seen: [UInt64] = []
            try env.read { txn throws in
                try txn.forEach(in: db) { key, _ in
                    seen.append(UInt64(bigEndianBytes: key)!)
                    return seen.count == 4 ? .stop : .continue
                }
            }
            #expect(seen == [10, 20, 30, 40])
        }
    }

    /// Composite keys namespace + big-endian id: a prefix scan returns exactly one namespace.
    @Test func prefixScansOverCompositeKeys() throws {
        func key(_ namespace: String, _ id: UInt64) -> [UInt8] {
            var k = b(namespace)
            k.append(0)
            k.appendBigEndian(id)
            return k
        }
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "graph")
            try env.write { txn throws in
                for ns in ["alpha", "alphabet", "beta"] {
                    for id in [3, 1, 300, 2] as [UInt64] { try txn.put(b(ns), forKey: key(ns, id), in: db) }
                }
                try txn.put(b("ff"), forKey: [0xFF, 0xFF, 1], in: db)
                try txn.put(b("ff"), forKey: [0xFF, 0xFF], in: db)
            }
            var prefix = b("alpha")
            prefix.append(0)
            try env.read { txn throws in
                let ids = try txn.keys(in: db, range: .prefix(prefix)).map { UInt64(bigEndianBytes: $0, at: prefix.count)! }
                #expect(ids == [1, 2, 3, 300])
                let reversed = try txn.keys(in: db, range: .prefix(prefix), reverse: true).map { UInt64(bigEndianBytes: $0, at: prefix.count)! }
                #expect(reversed == [300, 3, 2, 1])
                #expect(try txn.count(in: db, range: .prefix(b("alpha"))) == 8)
                #expect(try txn.keys(in: db, range: .prefix([0xFF, 0xFF])) == [[0xFF, 0xFF], [0xFF, 0xFF, 1]])
                #expect(try txn.keys(in: db, range: .prefix([0xFF, 0xFF]), reverse: true) == [[0xFF, 0xFF, 1], [0xFF, 0xFF]])
                #expect(try txn.count(in: db, range: .prefix(b("gamma"))) == 0)
                #expect(try txn.count(in: db, range: .prefix([UInt8]())) == 14)
            }
        }
    }

    @Test func cursorMovesAndDeletes() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "seq")
            try env.write { txn throws in
                for i in 1...10 as ClosedRange<UInt64> { try txn.put(b("\(i)"), forKey: UInt64Key(i), in: db) }
            }
            try env.read { txn throws in
                try txn.withCursor(on: db) { cursor throws in
                    #expect(try cursor.first()?.value == b("1"))
                    #expect(try cursor.next()?.value == b("2"))
                    #expect(try cursor.seek(atLeast: UInt64Key(5))?.value == b("5"))
                    #expect(try cursor.previous()?.value == b("4"))
                    #expect(try cursor.current()?.key == UInt64Key(4).bytes)
                    #expect(try cursor.seek(exactly: UInt64Key(11)) == nil)
                    #expect(try cursor.last()?.value == b("10"))
                    #expect(try cursor.next() == nil)
                    let borrowed = try cursor.withCurrent { key, value in (key.count, value.count) }
                    #expect(borrowed?.0 == 8)
                }
            }
            // Delete the even ids while walking: deleteCurrent leaves the cursor on the next one.
            try env.write { txn throws in
                try txn.withCursor(on: db) { cursor throws in
                    var entry = try cursor.first()
                    while let current = entry {
                        if UInt64Key(current.key)!.value % 2 == 0 {
                            try cursor.deleteCurrent()
                            entry = try cursor.current()
                        } else {
                            entry = try cursor.next()
                        }
                    }
                    try cursor.put(b("99"), forKey: UInt64Key(99))
                }
            }
            let keys = try env.read { try $0.keys(in: db) }.map { UInt64Key($0)!.value }
            #expect(keys == [1, 3, 5, 7, 9, 99])
        }
    }
}
