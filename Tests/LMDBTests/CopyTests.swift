import Foundation
import LMDB
import Synchronization
import Testing

@Suite struct CopyTests {
    /// A compacting hot copy taken while a writer keeps committing opens on its own and holds
    /// one consistent commit, at least as new as the one before the copy started.
    @Test(arguments: [true, false])
    func hotCopyWhileWriting(compact: Bool) throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir + "/live")
            let db = try env.openDatabase(named: "entries")
            let payload = 4 << 10
            @Sendable func step(_ txn: WriteTransaction, _ n: UInt64) throws {
                try txn.put(pseudoRandomBytes(count: payload, seed: n), forKey: UInt64Key(n), in: db)
                try txn.put(UInt64Key(n), forKey: b("counter"), in: db)
                if n > 50 { _ = try txn.delete(UInt64Key(n - 50), in: db) }  // leave free pages
            }
            for n in 1...200 as ClosedRange<UInt64> { try env.write { try step($0, n) } }

            let stop = Atomic<Bool>(false)
            let lastWritten = Atomic<UInt64>(200)
            let failures = Failures()
            let writer = Thread {
                var n: UInt64 = 201
                while !stop.load(ordering: .acquiring) {
                    do {
                        try env.write { try step($0, n) }
                        lastWritten.store(n, ordering: .releasing)
                        n += 1
                    } catch {
                        failures.add("writer: \(error)")
                        return
                    }
                }
            }
            writer.start()
            while lastWritten.load(ordering: .acquiring) < 220 { usleep(1_000) }
            let before = lastWritten.load(ordering: .acquiring)
            try env.copy(to: dir + "/backup", compact: compact)
            let during = lastWritten.load(ordering: .acquiring)
            while lastWritten.load(ordering: .acquiring) < during + 5 { usleep(1_000) }
            stop.store(true, ordering: .releasing)
            while !writer.isFinished { usleep(1_000) }
            #expect(failures.all == [])

            let copy = try Environment(path: dir + "/backup")
            let copied = try copy.openDatabase(named: "entries", create: false)
            try copy.read { txn throws in
                let n = try #require(try txn.get(b("counter"), in: copied).flatMap { UInt64Key($0)?.value })
                #expect(n >= before)
                #expect(n <= lastWritten.load(ordering: .acquiring))
                #expect(try txn.count(in: copied) == 51)  // 50 payloads + counter
                #expect(try txn.get(UInt64Key(n), in: copied) == pseudoRandomBytes(count: payload, seed: n))
                #expect(try txn.get(UInt64Key(n - 50), in: copied) == nil)
            }
            if compact {
                let liveSize = try FileManager.default.attributesOfItem(atPath: dir + "/live/data.mdb")[.size] as! Int
                let copySize = try FileManager.default.attributesOfItem(atPath: dir + "/backup/data.mdb")[.size] as! Int
                #expect(copySize < liveSize)
            }
            // The destination must not already hold a data file.
            #expect(throws: LMDBError.fileExists) { try env.copy(to: dir + "/backup", compact: compact) }
        }
    }

    @Test func copyInsideWriteIsRefused() throws {
        try withTemporaryDirectory { dir in
            let env = try Environment(path: dir + "/live")
            #expect(throws: LMDBError.wouldDeadlock) {
                try env.write { _ in try env.copy(to: dir + "/backup") }
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/backup/data.mdb"))
        }
    }
}
