import Foundation
import LMDB
import Synchronization
import Testing

/// Writer invariant: after commit n, "counter" = n, "a" = n, "b" = -n and the database holds
/// n entries under keys 1…n plus the three bookkeeping keys.
private func writeStep(_ txn: WriteTransaction, _ db: Database, _ n: UInt64, payload: Int) throws {
    try txn.put(pseudoRandomBytes(count: payload, seed: n), forKey: UInt64Key(n), in: db)
    try txn.put(UInt64Key(n), forKey: b("counter"), in: db)
    try txn.put(withUnsafeBytes(of: Int64(n)) { Array($0) }, forKey: b("a"), in: db)
    try txn.put(withUnsafeBytes(of: -Int64(n)) { Array($0) }, forKey: b("b"), in: db)
}

/// Checks the invariant in one snapshot; returns the counter.
private func checkSnapshot(_ txn: Transaction, _ db: Database, payload: Int) throws -> UInt64? {
    guard let counterBytes = try txn.get(b("counter"), in: db) else {
        return try txn.count(in: db) == 0 ? 0 : nil
    }
    let n = UInt64Key(counterBytes)!.value
    let a = try txn.withValue(forKey: b("a"), in: db) { $0.loadUnaligned(as: Int64.self) }
    let bValue = try txn.withValue(forKey: b("b"), in: db) { $0.loadUnaligned(as: Int64.self) }
    guard a == Int64(n), bValue == -Int64(n), try txn.count(in: db) == Int(n) + 3,
          try txn.get(UInt64Key(n), in: db) == pseudoRandomBytes(count: payload, seed: n)
    else { return nil }
    return n
}

@Suite struct ConcurrencyTests {
    /// Four reader threads see only whole commits while a writer commits and the map grows
    /// from 64 KiB (so growth waits for readers and readers wait for growth).
    @Test func readersSeeConsistentSnapshotsWhileWriterCommitsAndMapGrows() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.mapSize = 64 << 10
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: "entries")
            let failures = Failures()
            let done = Atomic<Bool>(false)
            let snapshots = Atomic<Int>(0)
            let writes: UInt64 = 300
            runThreads(5) { index in
                if index == 0 {
                    do {
                        for n in 1...writes {
                            try env.write { try writeStep($0, db, n, payload: 8 << 10) }
                        }
                    } catch {
                        failures.add("writer: \(error)")
                    }
                    done.store(true, ordering: .releasing)
                    return
                }
                var last: UInt64 = 0
                while !done.load(ordering: .acquiring) {
                    do {
                        let n = try env.read { try checkSnapshot($0, db, payload: 8 << 10) }
                        guard let n else { failures.add("reader \(index): torn snapshot"); return }
                        if n < last { failures.add("reader \(index): went back from \(last) to \(n)") }
                        last = n
                        snapshots.add(1, ordering: .relaxed)
                    } catch {
                        failures.add("reader \(index): \(error)")
                        return
                    }
                }
            }
            #expect(failures.all == [])
            #expect(snapshots.load(ordering: .relaxed) > 0)
            #expect(try env.read { try checkSnapshot($0, db, payload: 8 << 10) } == writes)
            #expect(try env.info().mapSize > 2 << 20)
        }
    }

    /// Writers from many tasks are serialised: no lost updates on a shared counter.
    @Test func concurrentWritersFromTasksAreSerialised() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let env = try Environment(path: dir)
            let db = try env.openDatabase(named: "counter")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<50 {
                            try env.write { txn throws in
                                let current = try txn.get(b("n"), in: db).flatMap { UInt64Key($0)?.value } ?? 0
                                try txn.put(UInt64Key(current + 1), forKey: b("n"), in: db)
                            }
                            _ = try env.read { try $0.get(b("n"), in: db) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try env.read { try $0.get(b("n"), in: db) } == UInt64Key(400).bytes)
        }
    }
}

func withTemporaryDirectoryAsync<R>(_ body: (String) async throws -> R) async throws -> R {
    let path = FileManager.default.temporaryDirectory.path + "/lmdb-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}
