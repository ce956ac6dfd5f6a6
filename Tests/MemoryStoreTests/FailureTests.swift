import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import Testing
import VectorMath

/// Full disks, failed commits, damaged and foreign files: clear errors, nothing committed lost,
/// nothing uncommitted visible, never a crash.
@Suite struct FailureTests {
    @Test func writesRerunCleanlyWhenATinyMapGrows() throws {
        try withTemporaryDirectory { dir in
            let options = MemoryStoreOptions(mapSize: 64 << 10, maxMapSize: 1 << 30)
            let before: [[SearchResult]]
            do {
                let store = try openStore(dir, options: options, parameters: HNSWParameters(flatThreshold: 0))
                let initial = try store.env.info().mapSize
                try fill(store, count: 150)
                let items = (0..<100).map { (draft: MemoryDraft(text: String(repeating: "x", count: 2_000)), vector: testVector(70_000 + UInt64($0))) }
                try store.insertBatch(items, namespace: "ns", context: testContext)
                #expect(try store.env.info().mapSize > initial)  // the map grew, so closures reran
                #expect(try store.index(namespace: "ns").count == 250)
                #expect(try store.lastSequence == 250)
                #expect(store.verify().problems == [])
                before = try probe(store)
            }
            let store = try openStore(dir, options: options, createNamespace: false)
            #expect(try probe(store) == before)
            #expect(store.verify().problems == [])
        }
    }

    @Test func aFailedCommitLeavesStoreAndIndexUnchanged() throws {
        try withTemporaryDirectory { dir in
            let options = MemoryStoreOptions(mapSize: 256 << 10, maxMapSize: 256 << 10)
            let store = try openStore(dir, options: options, parameters: HNSWParameters(flatThreshold: 0))
            var acknowledged: [UInt64] = []
            var failure: (any Error)?
            for i in 0..<5_000 {
                do {
                    acknowledged.append(try store.insert(MemoryDraft(text: String(repeating: "fill \(i) ", count: 200)),
                                                         vector: testVector(UInt64(i)), namespace: "ns", context: testContext).entry.id)
                } catch {
                    failure = error
                    break
                }
            }
            #expect(failure.map { LMDBError.mapFull ~= $0 } == true, "expected the map to fill, got \(String(describing: failure))")
            let index = try store.index(namespace: "ns")
            #expect(index.count == acknowledged.count)
            #expect(try store.lastSequence == UInt64(acknowledged.count))
            #expect(try store.get(namespace: "ns", id: acknowledged.last! + 1) == nil)
            #expect(!index.contains(acknowledged.last! + 1))
            let probeBefore = try probe(store)
            let snapshotBefore = index.snapshot()

            // A batch and a re-indexing update that cannot fit change nothing either.
            let batch = (0..<50).map { (draft: MemoryDraft(text: String(repeating: "b", count: 4_000)), vector: testVector(10_000 + UInt64($0))) }
            #expect(throws: LMDBError.mapFull) { try store.insertBatch(batch, namespace: "ns", context: testContext) }
            let target = acknowledged[0]
            let entryBefore = try store.get(namespace: "ns", id: target)
            do {
                try store.update(namespace: "ns", id: target, vector: testVector(123_456), context: testContext) {
                    $0.text = String(repeating: "u", count: 30_000)
                }
                Issue.record("an update of 30 KB fitted into a full map")
            } catch {
                #expect(LMDBError.mapFull ~= error)
            }
            #expect(try store.get(namespace: "ns", id: target) == entryBefore)
            #expect(try probe(store) == probeBefore)
            // The same graph: same live nodes and links. (A rolled-back batch leaves its new slots
            // free at the end of the graph; see `MemoryStore.agree`.)
            let snapshotAfter = index.snapshot()
            #expect(snapshotAfter.nodes.filter { $0.state != .free } == snapshotBefore.nodes.filter { $0.state != .free })
            #expect(MemoryStore.agree(stored: snapshotBefore.state, index: snapshotAfter.state, snapshotAfter.nodes))
            #expect(try store.lastSequence == UInt64(acknowledged.count))
            #expect(store.verify().problems == [])

            // Every acknowledged entry survives a reopen, and with room the store goes on.
            let reopenedIDs: [UInt64]
            do {
                _ = consume store
                let bigger = try openStore(dir, options: MemoryStoreOptions(maxMapSize: 1 << 30), createNamespace: false)
                var all: [UInt64] = []
                var cursor: UInt64 = 0
                while true {
                    let page = try bigger.entries(namespace: "ns", after: cursor, limit: 50)
                    all += page.entries.map(\.id)
                    guard let next = page.nextCursor else { break }
                    cursor = next
                }
                reopenedIDs = all
                #expect(try probe(bigger) == probeBefore)
                try bigger.insertBatch(batch, namespace: "ns", context: testContext)
                #expect(bigger.verify().problems == [])
            }
            #expect(reopenedIDs == acknowledged)
        }
    }

    @Test func newerSchemaIsRefusedAndLeftUntouched() throws {
        try withTemporaryDirectory { dir in
            do { _ = try openStore(dir) }
            do {
                let env = try Environment(path: dir + "/store")
                let meta = try env.openDatabase(named: "meta", create: false)
                try env.write { try $0.put([0, 0, 0, 4], forKey: Array("schema_version".utf8), in: meta) }
            }
            #expect(throws: MemoryStoreError.newerSchema(found: 4, supported: 3)) { try MemoryStore(path: dir + "/store") }
            let env = try Environment(path: dir + "/store")
            let meta = try env.openDatabase(named: "meta", create: false)
            #expect(try env.read { try $0.get(Array("schema_version".utf8), in: meta) } == [0, 0, 0, 4])
        }
    }

    @Test func foreignEnvironmentIsRefused() throws {
        try withTemporaryDirectory { dir in
            do {
                let env = try Environment(path: dir + "/store")
                let other = try env.openDatabase(named: "something-else")
                try env.write { try $0.put([1], forKey: [1], in: other) }
            }
            #expect(throws: MemoryStoreError.self) { try MemoryStore(path: dir + "/store") }
        }
    }

    @Test func truncatedAndGarbageFilesGiveClearErrors() throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try openStore(dir)
                try fill(store, count: 200)
            }
            let file = dataFile(dir)
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
            #expect(truncate(file, off_t(size / 2)) == 0)
            #expect(throws: LMDBError.corrupted) { try MemoryStore(path: dir + "/store") }
            try Data((0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: URL(fileURLWithPath: file))
            #expect(throws: LMDBError.invalid) { try MemoryStore(path: dir + "/store") }
        }
    }

    @Test func flippedBytesInEntriesAndAuditAreReportedByVerifyAndReads() throws {
        try withTemporaryDirectory { dir in
            let id: UInt64
            do {
                let store = try openStore(dir)
                try fill(store, count: 20)
                id = try store.insert(MemoryDraft(text: "needle-entry-text"), vector: testVector(5), namespace: "ns",
                                      context: testContext).entry.id
                try fill(store, count: 20, seed: 3)
            }
            // Every copy in the file (entry, audit event, stale pages).
            var flipped = 0
            while try flipByte(in: dataFile(dir), after: Array("needle-entry-text".utf8), offset: 3) { flipped += 1 }
            #expect(flipped >= 2)
            let store = try openStore(dir, createNamespace: false)  // entries are not read at open
            #expect(throws: MemoryStoreError.self) { try store.get(namespace: "ns", id: id) }
            #expect(throws: MemoryStoreError.self) { try store.audit(entryID: id) }
            let report = store.verify()
            #expect(report.problems.contains { $0.contains("entry \(id)") && $0.contains("checksum mismatch") })
            #expect(report.problems.contains { $0.contains("audit event 21") && $0.contains("checksum mismatch") })
            // Its neighbours are intact.
            #expect(try store.get(namespace: "ns", id: id - 1)?.text == "memory 0-19")
        }
    }

    @Test func flippedBytesInVectorsAreRefusedAtOpen() throws {
        try withTemporaryDirectory { dir in
            let stored: [Float]
            do {
                let store = try openStore(dir)
                try fill(store, count: 30)
                stored = try #require(try store.vector(namespace: "ns", id: 7))
            }
            var flipped = 0
            while try flipByte(in: dataFile(dir), after: stored.float32Bytes, offset: 9) { flipped += 1 }
            #expect(flipped >= 1)
            let error = #expect(throws: MemoryStoreError.self) { try MemoryStore(path: dir + "/store") }
            #expect("\(error!)".contains("vector of slot"))
            #expect("\(error!)".contains("checksum mismatch"))
        }
    }

    /// Damages one stored value through LMDB itself (as bit rot inside a record would).
    private func damage(_ dir: String, database: String, _ change: (inout [UInt8]) -> Void) throws {
        let env = try Environment(path: dir + "/store")
        let db = try env.openDatabase(named: database, create: false)
        try env.write { txn in
            let first = try #require(try txn.first(in: db))
            var value = first.value
            change(&value)
            try txn.put(value, forKey: first.key, in: db)
        }
    }

    @Test func damagedGraphRecordsAreRefusedAtOpen() throws {
        for (database, change) in [("graph_nodes", { (v: inout [UInt8]) in v[5] ^= 0x10 }),
                                   ("graph_nodes", { (v: inout [UInt8]) in v.removeLast(3) }),
                                   ("graph_state", { (v: inout [UInt8]) in v[0] ^= 0x01 }),
                                   ("vectors", { (v: inout [UInt8]) in v.removeLast(4) }),
                                   ("namespaces", { (v: inout [UInt8]) in v[v.count - 2] ^= 0x20 })] {
            try withTemporaryDirectory { dir in
                do { try fill(try openStore(dir), count: 30) }
                try damage(dir, database: database, change)
                let error = #expect(throws: MemoryStoreError.self, "damaged \(database)") { try MemoryStore(path: dir + "/store") }
                #expect("\(error.map { "\($0)" } ?? "")".contains("damaged store record"))
            }
        }
    }

    /// A damaged graph cannot be restored, but it can be rebuilt from the entries and vectors:
    /// open without indexes, verify (which reports the damage), rebuild, verify clean.
    @Test func aDamagedGraphIsRepairedByARebuildFromAStoreOpenedWithoutIndexes() throws {
        for (database, change) in [("graph_nodes", { (v: inout [UInt8]) in v[5] ^= 0x10 }),
                                   ("graph_state", { (v: inout [UInt8]) in v[0] ^= 0x01 })] {
            try withTemporaryDirectory { dir in
                var before: [[SearchResult]] = []
                do {
                    let store = try openStore(dir, parameters: HNSWParameters(m: 8, efConstruction: 64, flatThreshold: 0))
                    try fill(store, count: 300)
                    before = try probe(store)
                }
                try damage(dir, database: database, change)
                var options = MemoryStoreOptions()
                options.loadIndexes = false
                let store = try MemoryStore(path: dir + "/store", options: options)
                #expect(store.verify().problems != [], "damaged \(database)")
                // Until rebuilt, the namespace refuses searches and writes rather than answer wrongly.
                #expect(throws: MemoryStoreError.self) { try store.search(namespace: "ns", vector: testVector(1), k: 1) }
                #expect(throws: MemoryStoreError.self) { try fill(store, count: 1, seed: 9) }
                let result = try store.rebuildIndex(namespace: "ns")
                #expect(result.nodes == 300)
                #expect(store.verify().problems == [], "after rebuilding \(database)")
                // The same entries answer the same queries (top hit of each probe).
                #expect(try probe(store).map { $0.first?.key } == before.map { $0.first?.key })
                try fill(store, count: 5, seed: 9)
                #expect(store.verify().problems == [])
            }
        }
    }

    @Test func verifyReportsAnEntryThatDisagreesWithItsHistory() throws {
        try withTemporaryDirectory { dir in
            do { try fill(try openStore(dir), count: 4) }
            // Rewrite entry 2 with a valid checksum but other text, as a lost audit write would leave it.
            do {
                let env = try Environment(path: dir + "/store")
                let entries = try env.openDatabase(named: "entries", create: false)
                try env.write { txn in
                    let bytes = try #require(try txn.get(Keys.entry(1, 2), in: entries))
                    var entry = try RecordCodec.decode(MemoryEntry.self, from: bytes, what: "entry 2")
                    entry.text = "changed without an event"
                    try txn.put(try RecordCodec.encode(entry), forKey: Keys.entry(1, 2), in: entries)
                }
            }
            let store = try openStore(dir, createNamespace: false)
            // The lexical index, written from the old text, no longer matches either.
            #expect(store.verify().problems == [
                "namespace \"ns\": lexical document of entry 2 does not match its text (run engram index rebuild)",
                "entry 2 differs from what its latest audit event (2, created) recorded",
            ])
        }
    }

    @Test func verifyReportsMissingAndOrphanedRecordsPrecisely() throws {
        try withTemporaryDirectory { dir in
            do { try fill(try openStore(dir), count: 10) }
            // Remove entry 3 and audit event 5 behind the store's back, add an orphan vector.
            do {
                let env = try Environment(path: dir + "/store")
                let entries = try env.openDatabase(named: "entries", create: false)
                let audit = try env.openDatabase(named: "audit", create: false)
                let vectors = try env.openDatabase(named: "vectors", create: false)
                try env.write { txn in
                    #expect(try txn.delete(Keys.entry(1, 3), in: entries))
                    #expect(try txn.delete(UInt64Key(5), in: audit))
                    try txn.put(VectorCodec.encode(testVector(1)), forKey: Keys.slot(1, 500), in: vectors)
                }
            }
            let store = try openStore(dir, createNamespace: false)
            let problems = store.verify().problems
            #expect(problems.contains("namespace \"ns\": live graph node at slot 2 has key 3, which has no entry pointing to it"))
            #expect(problems.contains("namespace \"ns\": 9 entries but 10 live graph nodes"))
            #expect(problems.contains("audit: events 5…5 are missing"))
            #expect(problems.contains("audit namespace index lists event 5, which is missing or unreadable"))
            #expect(problems.contains("namespace \"ns\": vector of slot 500 has no graph node"))
            #expect(problems.contains("entry 3 is missing, but its latest audit event (3, created) did not delete it"))
            #expect(problems.contains("entry 5 has no audit event"))
            #expect(problems.contains("namespace \"ns\": lexical document of entry 3, which does not exist"))
            #expect(problems.count == 9, "\(problems)")
        }
    }
}
