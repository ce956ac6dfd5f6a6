import Foundation
import LMDB
import Synchronization
import Testing

@Suite struct GrowthTests {
    /// From a 64 KiB map, write 6 MB in small and large transactions; the map grows, the
    /// closures rerun, and every byte is there afterwards (also after reopening).
    @Test func mapGrowsFromTinyMapWhileWritingMegabytes() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.mapSize = 64 << 10
            let runs = Atomic<Int>(0)
            var grownSize = 0
            do {
                let env = try Environment(path: dir, options: options)
                let db = try env.openDatabase(named: "blobs")
                #expect(try env.info().mapSize == 64 << 10)
                for i in 0..<64 as Range<UInt64> {
                    try env.write { txn throws in
                        runs.add(1, ordering: .relaxed)
                        try txn.put(pseudoRandomBytes(count: 64 << 10, seed: i), forKey: UInt64Key(i), in: db)
                    }
                }
                // One transaction larger than the whole map so far needs several doublings.
                try env.write { txn throws in
                    runs.add(1, ordering: .relaxed)
                    for i in 1_000..<1_032 as Range<UInt64> {
                        try txn.put(pseudoRandomBytes(count: 64 << 10, seed: i), forKey: UInt64Key(i), in: db)
                    }
                }
                let info = try env.info()
                #expect(info.mapSize >= 6 << 20)
                grownSize = info.mapSize
                #expect(runs.load(ordering: .relaxed) > 65)  // some closures ran again after growth
                try env.read { txn throws in
                    #expect(try txn.count(in: db) == 96)
                    #expect(try txn.get(UInt64Key(63), in: db) == pseudoRandomBytes(count: 64 << 10, seed: 63))
                    #expect(try txn.get(UInt64Key(1_031), in: db) == pseudoRandomBytes(count: 64 << 10, seed: 1_031))
                }
            }
            // Reopening with the tiny configured size starts at the grown size (no regrowth).
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: "blobs")
            #expect(try env.read { try $0.count(in: db) } == 96)
            #expect(try env.info().mapSize == grownSize)
            // A lower maximum caps it (but never below the data).
            var capped = options
            capped.maxMapSize = 7 << 20
            _ = consume env
            let cappedEnv = try Environment(path: dir, options: capped)
            #expect(try cappedEnv.info().mapSize == max(7 << 20, try cappedEnv.info().usedBytes))
        }
    }

    /// At `maxMapSize` the failing write surfaces `mapFull`; every earlier commit is intact,
    /// nothing of the failed one is visible, and the environment keeps working.
    @Test func maximumSizeSurfacesMapFullCleanly() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.mapSize = 64 << 10
            options.maxMapSize = 1 << 20
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: "blobs")
            var committed: [UInt64] = []
            var failure: (any Error)?
            for i in 0..<64 as Range<UInt64> {
                do {
                    try env.write { txn throws in
                        try txn.put(pseudoRandomBytes(count: 100 << 10, seed: i), forKey: UInt64Key(i), in: db)
                        try txn.put(UInt64Key(i).bytes, forKey: b("last"), in: db)
                    }
                    committed.append(i)
                } catch {
                    failure = error
                    break
                }
            }
            let error = try #require(failure as? LMDBError)
            #expect(error == LMDBError.mapFull)
            #expect(error.context?.contains("maximum") == true)
            #expect(committed.count >= 4)
            #expect(try env.info().mapSize == 1 << 20)
            try env.read { txn throws in
                #expect(try txn.count(in: db) == committed.count + 1)
                #expect(try txn.get(b("last"), in: db) == UInt64Key(committed.last!).bytes)
                #expect(try txn.get(UInt64Key(UInt64(committed.count)), in: db) == nil)
                for i in committed {
                    #expect(try txn.get(UInt64Key(i), in: db) == pseudoRandomBytes(count: 100 << 10, seed: i))
                }
            }
            // Deleting makes room again.
            try env.write { txn throws in
                for i in committed.prefix(3) { _ = try txn.delete(UInt64Key(i), in: db) }
            }
            try env.write { try $0.put(b("small"), forKey: b("after"), in: db) }
            #expect(try env.read { try $0.get(b("after"), in: db) } == b("small"))
        }
    }

    /// Growth cannot remap under a read this thread holds: the write fails with `mapFull`
    /// instead of deadlocking, and succeeds once the read is over.
    @Test func growthRefusedWhileThisThreadHoldsARead() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.mapSize = 64 << 10
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: "blobs")
            let big = pseudoRandomBytes(count: 256 << 10, seed: 1)
            try env.read { _ in
                #expect(throws: LMDBError.mapFull) {
                    try env.write { try $0.put(big, forKey: b("big"), in: db) }
                }
            }
            try env.write { try $0.put(big, forKey: b("big"), in: db) }
            #expect(try env.read { try $0.get(b("big"), in: db) } == big)
        }
    }

    /// A read on another thread that outlasts `growthWaitTimeout` makes the growing write fail
    /// with `mapFull` after the timeout rather than block forever.
    @Test func growthWaitIsBounded() throws {
        try withTemporaryDirectory { dir in
            var options = EnvironmentOptions()
            options.mapSize = 64 << 10
            options.growthWaitTimeout = .milliseconds(200)
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase(named: "blobs")
            let readerStarted = DispatchSemaphore(value: 0)
            let releaseReader = DispatchSemaphore(value: 0)
            let thread = Thread {
                _ = try? env.read { _ in
                    readerStarted.signal()
                    releaseReader.wait()
                }
            }
            thread.start()
            readerStarted.wait()
            let start = ContinuousClock.now
            var caught: LMDBError?
            do {
                try env.write { try $0.put(pseudoRandomBytes(count: 256 << 10, seed: 2), forKey: b("big"), in: db) }
            } catch let error as LMDBError {
                caught = error
            }
            let waited = ContinuousClock.now - start
            releaseReader.signal()
            #expect(caught == LMDBError.mapFull)
            #expect(caught?.context?.contains("did not end") == true)
            #expect(waited >= .milliseconds(150) && waited < .seconds(10))
            // With the reader gone the same write succeeds.
            try env.write { try $0.put(pseudoRandomBytes(count: 256 << 10, seed: 2), forKey: b("big"), in: db) }
        }
    }
}
