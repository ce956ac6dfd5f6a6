import Foundation
import LMDB
import Testing

/// Damaged files must produce errors, never a crash (SIGBUS/SIGSEGV would kill the runner).
@Suite struct CorruptionTests {
    /// Writes `count` entries of 1 KiB into the main database and closes the environment.
    private func makeStore(_ dir: String, count: Int = 2_000) throws -> Int {
        let env = try Environment(path: dir)
        let db = try env.openDatabase(named: nil)
        try env.write { txn throws in
            for i in 0..<UInt64(count) { try txn.put(pseudoRandomBytes(count: 1_024, seed: i), forKey: UInt64Key(i), in: db) }
        }
        return try env.info().pageSize
    }

    @Test func truncatedDataFileThrowsCorrupted() throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir)
            let file = dir + "/data.mdb"
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
            #expect(truncate(file, off_t(size / 2)) == 0)
            let error = #expect(throws: LMDBError.corrupted) { try Environment(path: dir) }
            #expect(error?.context?.contains("truncated") == true)
            // Cut inside the meta pages: LMDB itself rejects it.
            #expect(truncate(file, 100) == 0)
            #expect(throws: LMDBError.self) { try Environment(path: dir) }
        }
    }

    @Test func garbageFileThrowsInvalid() throws {
        try withTemporaryDirectory { dir in
            let bytes = pseudoRandomBytes(count: 64 << 10, seed: 42)
            #expect(FileManager.default.createFile(atPath: dir + "/data.mdb", contents: Data(bytes)))
            #expect(throws: LMDBError.invalid) { try Environment(path: dir) }
        }
    }

    @Test func zeroedMetaPageThrowsInvalid() throws {
        try withTemporaryDirectory { dir in
            let pageSize = try makeStore(dir, count: 10)
            try patchFile(dir + "/data.mdb", offset: 0, bytes: [UInt8](repeating: 0, count: pageSize))
            #expect(throws: LMDBError.invalid) { try Environment(path: dir) }
        }
    }

    @Test func newerFormatVersionThrowsVersionMismatch() throws {
        try withTemporaryDirectory { dir in
            let pageSize = try makeStore(dir, count: 10)
            // MDB_meta follows the 16-byte page header: mm_magic at 16, mm_version at 20.
            for meta in 0..<2 {
                try patchFile(dir + "/data.mdb", offset: UInt64(meta * pageSize + 20), bytes: [99, 0, 0, 0])
            }
            #expect(throws: LMDBError.versionMismatch) { try Environment(path: dir) }
        }
    }

    /// A zeroed B-tree root (page type neither branch nor leaf) surfaces `corrupted` on read.
    @Test func zeroedRootPageThrowsOnRead() throws {
        try withTemporaryDirectory { dir in
            let pageSize = try makeStore(dir, count: 10)
            let file = dir + "/data.mdb"
            // Pick the newer meta page (mm_txnid at 144), then the main DB's root (mm_dbs[1].md_root at 128).
            let metas = try (0..<2).map { try readFile(file, offset: UInt64($0 * pageSize), count: 152) }
            let txnids = metas.map { $0.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 144, as: UInt64.self) } }
            let meta = txnids[0] > txnids[1] ? metas[0] : metas[1]
            let root = meta.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 128, as: UInt64.self) }
            #expect(root >= 2)
            try patchFile(file, offset: root * UInt64(pageSize), bytes: [UInt8](repeating: 0, count: pageSize))
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: nil)
            #expect(throws: LMDBError.corrupted) { try env.read { try $0.get(UInt64Key(3), in: db) } }
            #expect(throws: LMDBError.corrupted) { try env.read { try $0.entries(in: db) } }
        }
    }

    @Test func emptyDataFileIsANewEnvironment() throws {
        // Documented LMDB behaviour: a 0-byte data file is initialised, not rejected.
        try withTemporaryDirectory { dir in
            #expect(FileManager.default.createFile(atPath: dir + "/data.mdb", contents: Data()))
            let env = try Environment(path: dir)
            #expect(try env.statistics().entries == 0)
        }
    }
}
