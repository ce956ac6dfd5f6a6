import Foundation
import LMDB
import Testing

@Suite struct BasicTests {
    @Test func putGetDeleteRoundTrip() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "entries")
            try env.write { txn throws in
                try txn.put(b("hello"), forKey: b("k1"), in: db)
                try txn.put([UInt8](), forKey: b("empty"), in: db)
                try txn.put(Data([1, 2, 3]), forKey: UInt64Key(7), in: db)
            }
            try env.read { txn throws in
                #expect(try txn.get(b("k1"), in: db) == b("hello"))
                #expect(try txn.get(b("empty"), in: db) == [])
                #expect(try txn.get(UInt64Key(7), in: db) == [1, 2, 3])
                #expect(try txn.get(b("missing"), in: db) == nil)
                #expect(try txn.contains(b("k1"), in: db))
                #expect(try txn.count(in: db) == 3)
                let length = try txn.withValue(forKey: b("k1"), in: db) { $0.count }
                #expect(length == 5)
            }
            let deleted = try env.write { txn throws in
                (try txn.delete(b("k1"), in: db), try txn.delete(b("k1"), in: db))
            }
            #expect(deleted == (true, false))
            #expect(try env.read { try $0.get(b("k1"), in: db) } == nil)
        }
    }

    @Test func abortOnThrowLeavesNothing() throws {
        struct Boom: Error {}
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "entries")
            try env.write { try $0.put(b("kept"), forKey: b("a"), in: db) }
            #expect(throws: Boom.self) {
                try env.write { txn throws in
                    try txn.put(b("new"), forKey: b("b"), in: db)
                    try txn.put(b("changed"), forKey: b("a"), in: db)
                    _ = try txn.delete(b("a"), in: db)
                    throw Boom()
                }
            }
            // A database created in the aborted write is gone too.
            #expect(throws: LMDBError.notFound) {
                try env.write { txn throws in
                    _ = try txn.openDatabase(named: "created-then-aborted")
                    throw LMDBError.notFound
                }
            }
            #expect(throws: LMDBError.notFound) { try env.openDatabase(named: "created-then-aborted", create: false) }
            try env.read { txn throws in
                #expect(try txn.get(b("a"), in: db) == b("kept"))
                #expect(try txn.get(b("b"), in: db) == nil)
                #expect(try txn.count(in: db) == 1)
            }
        }
    }

    @Test func putFlags() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "log")
            try env.write { txn throws in
                try txn.put(b("1"), forKey: UInt64Key(1), in: db, flags: .append)
                try txn.put(b("2"), forKey: UInt64Key(2), in: db, flags: .append)
            }
            #expect(throws: LMDBError.keyExist) {
                try env.write { try $0.put(b("x"), forKey: UInt64Key(1), in: db, flags: .noOverwrite) }
            }
            #expect(throws: LMDBError.keyExist) {
                try env.write { try $0.put(b("x"), forKey: UInt64Key(0), in: db, flags: .append) }
            }
            #expect(throws: LMDBError.badValueSize) {
                try env.write { try $0.put(b("x"), forKey: [UInt8](), in: db) }
            }
            #expect(try env.read { try $0.get(UInt64Key(1), in: db) } == b("1"))
            #expect(try env.read { try $0.count(in: db) } == 2)
        }
    }

    @Test func reopenSeesCommittedData() throws {
        try withTemporaryDirectory { dir in
            do {
                let env = try Environment(path: dir)
                let db = try env.openDatabase(named: "entries")
                try env.write { txn throws in
                    for i in 0..<1000 as Range<UInt64> {
                        try txn.put(pseudoRandomBytes(count: 100, seed: i), forKey: UInt64Key(i), in: db)
                    }
                }
            }
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "entries", create: false)
            try env.read { txn throws in
                #expect(try txn.count(in: db) == 1000)
                #expect(try txn.get(UInt64Key(999), in: db) == pseudoRandomBytes(count: 100, seed: 999))
            }
            #expect(env.staleReadersClearedAtOpen == 0)
        }
    }

    @Test func writeTransactionReadsItsOwnChanges() throws {
        // Helpers written against `Transaction` serve reads and writes alike.
        func total(_ txn: Transaction, _ db: Database) throws -> Int {
            try txn.count(in: db)
        }
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "entries")
            try env.write { try $0.put(b("1"), forKey: b("a"), in: db) }
            try env.write { txn throws in
                try txn.put(b("2"), forKey: b("b"), in: db)
                #expect(try total(txn, db) == 2)
                #expect(try txn.get(b("b"), in: db) == b("2"))
                // A separate read inside the write sees the last commit only.
                let committed = try env.read { try total($0, db) }
                #expect(committed == 1)
                // Nested reads inside a read also work.
                try env.read { outer throws in
                    try env.read { inner throws in
                        #expect(try outer.id() == inner.id())
                    }
                }
                #expect(try env.info().mapSize > 0)
            }
            #expect(try env.read { try total($0, db) } == 2)
        }
    }

    @Test func misuseThrowsInsteadOfCrashingOrHanging() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "entries")
            // A transaction used after its closure.
            let leaked = try env.read { $0 }
            #expect(throws: LMDBError.badTransaction) { try leaked.get(b("a"), in: db) }
            // A cursor used after its closure.
            let leakedCursor = try env.read { txn in try txn.withCursor(on: db) { $0 } }
            #expect(throws: LMDBError.badTransaction) { try leakedCursor.first() }
            // A write inside a write would deadlock on the writer mutex.
            #expect(throws: LMDBError.wouldDeadlock) {
                try env.write { _ in try env.write { _ in } }
            }
            #expect(throws: LMDBError.wouldDeadlock) {
                try env.write { _ in _ = try env.openDatabase(named: "other") }
            }
            // A handle of another environment.
            try withTemporaryDirectory { otherDir in
                let other = try Environment(path: otherDir)
                let foreign = try other.openDatabase(named: "entries")
                #expect(throws: LMDBError.badDatabase) { try env.read { try $0.get(b("a"), in: foreign) } }
            }
            // Cursor writes in a read transaction.
            #expect(throws: LMDBError.accessDenied) {
                try env.read { txn in try txn.withCursor(on: db) { try $0.put(b("v"), forKey: b("k")) } }
            }
            // The environment is still fine.
            try env.write { try $0.put(b("v"), forKey: b("k"), in: db) }
            #expect(try env.read { try $0.get(b("k"), in: db) } == b("v"))
        }
    }

    @Test func databasesAndFlags() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.maxDatabases = 3
            let env = try Environment(path: dir, options: options)
            let a = try env.openDatabase(named: "a")
            #expect(try env.openDatabase(named: "a") == a)
            #expect(throws: LMDBError.notFound) { try env.openDatabase(named: "nope", create: false) }
            #expect(throws: LMDBError.incompatible) { try env.openDatabase(named: "a", flags: .dupSort) }
            let dups = try env.openDatabase(named: "dups", flags: .dupSort)
            // Created inside a write, usable at once and after commit.
            let graph = try env.write { txn -> Database in
                let graph = try txn.openDatabase(named: "graph")
                try txn.put(b("links"), forKey: b("node"), in: graph)
                return graph
            }
            #expect(try env.read { try $0.get(b("node"), in: graph) } == b("links"))
            #expect(throws: LMDBError.databasesFull) { try env.openDatabase(named: "fourth") }

            try env.write { txn throws in
                for v in ["c", "a", "b"] { try txn.put(b(v), forKey: b("k"), in: dups) }
                try txn.put(b("z"), forKey: b("j"), in: dups)
                #expect(throws: LMDBError.keyExist) { try txn.put(b("a"), forKey: b("k"), in: dups, flags: .noDupData) }
            }
            try env.read { txn throws in
                let values = try txn.entries(in: dups, range: .prefix(b("k"))).map { String(decoding: $0.value, as: UTF8.self) }
                #expect(values == ["a", "b", "c"])
                let backward = try txn.entries(in: dups, range: .through(b("k")), reverse: true).map { String(decoding: $0.value, as: UTF8.self) }
                #expect(backward == ["c", "b", "a", "z"])
                #expect(try txn.count(in: dups) == 4)
                try txn.withCursor(on: dups) { cursor throws in
                    _ = try cursor.seek(exactly: b("k"))
                    #expect(try cursor.duplicateCount() == 3)
                    #expect(try cursor.nextDuplicate()?.value == b("b"))
                }
            }
            try env.write { txn throws in
                #expect(try txn.delete(b("k"), value: b("b"), in: dups))
                #expect(try !txn.delete(b("k"), value: b("b"), in: dups))
            }
            #expect(try env.read { try $0.count(in: dups) } == 3)

            // Clear keeps the database; drop removes it and frees its slot.
            try env.write { try $0.clear(dups) }
            #expect(try env.read { try $0.count(in: dups) } == 0)
            try env.write { try $0.drop(dups) }
            #expect(throws: LMDBError.notFound) { try env.openDatabase(named: "dups", flags: .dupSort, create: false) }
            _ = try env.openDatabase(named: "fourth")

            // Drop and recreate in one transaction: the new handle replaces the old one.
            let recreated = try env.write { txn throws -> Database in
                try txn.put(b("old"), forKey: b("k"), in: a)
                try txn.drop(a)
                let fresh = try txn.openDatabase(named: "a")
                #expect(try txn.count(in: fresh) == 0)
                try txn.put(b("new"), forKey: b("k"), in: fresh)
                return fresh
            }
            #expect(try env.openDatabase(named: "a") == recreated)
            #expect(try env.read { try $0.get(b("k"), in: recreated) } == b("new"))
        }
    }

    @Test func integerKeysSortNumerically() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "ints", flags: .integerKey)
            let values: [UInt64] = [300, 2, 1 << 40, 256, 1]
            try env.write { txn throws in
                for v in values {
                    try txn.put(b("\(v)"), forKey: withUnsafeBytes(of: v) { Array($0) }, in: db)
                }
            }
            let keys = try env.read { try $0.keys(in: db) }.map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }
            #expect(keys == values.sorted())
        }
    }

    @Test func readOnlyEnvironment() throws {
        try withTemporaryDirectory { dir in
            do {
                let env = try Environment(path: dir)
                let db = try env.openDatabase(named: "entries")
                try env.write { try $0.put(b("v"), forKey: b("k"), in: db) }
            }
            var options = EnvironmentOptions()
            options.readOnly = true
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: "entries")
            #expect(try env.read { try $0.get(b("k"), in: db) } == b("v"))
            #expect(throws: LMDBError.accessDenied) { try env.write { try $0.put(b("w"), forKey: b("k"), in: db) } }
            #expect(throws: LMDBError.noSuchFile) { try Environment(path: dir + "/missing", options: options) }
        }
    }

    @Test func infoStatisticsAndFileMode() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.fileMode = 0o640
            options.mapSize = 1 << 20
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: "entries")
            try env.write { txn throws in
                for i in 0..<500 as Range<UInt64> { try txn.put(pseudoRandomBytes(count: 64, seed: i), forKey: UInt64Key(i), in: db) }
            }
            let info = try env.info()
            #expect(info.mapSize == 1 << 20)
            #expect(info.pageSize > 0)
            #expect(info.usedBytes > 500 * 64)
            #expect(info.lastTransactionID == 2)
            #expect(info.activeReaders == 0)
            try env.read { txn throws in
                #expect(try env.info().activeReaders == 1)
                let stat = try txn.statistics(of: db)
                #expect(stat.entries == 500)
                #expect(stat.leafPages > 1)
                #expect(stat.depth >= 2)
            }
            #expect(try env.statistics().entries == 1)  // the main database holds the name "entries"
            let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/data.mdb")
            #expect((attributes[.posixPermissions] as? Int) == 0o640)
        }
    }

    @Test func noSubdirectoryLayout() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.usesSubdirectory = false
            let file = dir + "/store.lmdb"
            do {
                let env = try Environment(path: file, options: options)
                let db = try env.openDatabase(named: nil)
                try env.write { try $0.put(b("v"), forKey: b("k"), in: db) }
            }
            #expect(FileManager.default.fileExists(atPath: file))
            #expect(FileManager.default.fileExists(atPath: file + "-lock"))
            let env = try Environment(path: file, options: options)
            #expect(try env.read { try $0.get(b("k"), in: env.openDatabase(named: nil)) } == b("v"))
        }
    }

    @Test func secondOpenOfSamePathIsRefused() throws {
        try withTemporaryDirectory { dir in
            var env: Environment? = try Environment(path: dir + "/store")
            #expect(throws: LMDBError.busy) { try Environment(path: dir + "/store") }
            #expect(throws: LMDBError.busy) { try Environment(path: dir + "/./store/") }
            try FileManager.default.createSymbolicLink(atPath: dir + "/alias", withDestinationPath: dir + "/store")
            #expect(throws: LMDBError.busy) { try Environment(path: dir + "/alias") }
            // The refused opens did not disturb the first one.
            let db = try env!.openDatabase(named: nil)
            try env!.write { try $0.put(b("v"), forKey: b("k"), in: db) }
            env = nil
            let reopened = try Environment(path: dir + "/alias")
            #expect(try reopened.read { try $0.get(b("k"), in: reopened.openDatabase(named: nil)) } == b("v"))
        }
    }

    @Test func readerTableLimit() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.maxReaders = 2
            let env = try Environment(path: dir, options: options)
            #expect(env.maxKeySize == 511)
            try env.read { _ in
                try env.read { _ throws in
                    #expect(try env.info().activeReaders == 2)
                    #expect(throws: LMDBError.readersFull) { try env.read { _ in } }
                }
            }
            try env.read { _ in try env.read { _ in } }
        }
    }

    @Test func errorDescriptionsCarryCodeAndMessage() {
        let error = LMDBError.mapFull.with(context: "mdb_put")
        #expect(error.code == -30792)
        #expect(error.message.contains("MDB_MAP_FULL"))
        #expect(error.description.contains("mdb_put"))
        #expect(error == LMDBError.mapFull)
        #expect(LMDBError.noSpace.message.lowercased().contains("space"))
        switch error as any Error {
        case LMDBError.mapFull: break
        default: Issue.record("pattern match failed")
        }
    }
}
