import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import Synchronization
import Testing
import VectorMath

/// Online index rebuild (`MemoryStore.rebuildIndex`): the new graph holds exactly the stored
/// entries, in their slots, persists, and no write made during the rebuild is lost.
@Suite struct RebuildTests {
    /// Every entry is in the index, in the slot its record names, and nothing else is.
    func expectIndexMatchesEntries(_ store: MemoryStore, _ comment: Comment? = nil) throws {
        let index = try store.index(namespace: "ns")
        var entries: [MemoryEntry] = []
        var after: UInt64 = 0
        while true {
            let page = try store.entries(namespace: "ns", after: after, limit: 500)
            entries += page.entries
            guard let next = page.nextCursor else { break }
            after = next
        }
        #expect(Set(index.keys()) == Set(entries.map(\.id)), comment)
        let misplaced = entries.filter { index.slot(for: $0.id) != $0.slot }.map(\.id)
        #expect(misplaced == [], comment)
        #expect(index.verifyStructure() == [], comment)
    }

    @Test func rebuildKeepsEveryEntryInItsSlotAndPersistsNewParameters() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir, parameters: HNSWParameters(m: 8, efConstruction: 32, flatThreshold: 0))
            let ids = try fill(store, count: 3000)
            // Tombstones, moved vectors and freed-then-reused slots, so the layout has holes.
            for id in ids where id % 9 == 0 { try store.delete(namespace: "ns", id: id, context: testContext) }
            for id in ids where id % 13 == 0 && id % 9 != 0 {
                try store.update(namespace: "ns", id: id, vector: testVector(70_000 + id), context: testContext) { $0.text += " (moved)" }
            }
            try store.consolidate(namespace: "ns")
            try fill(store, count: 200, seed: 5)
            for id in ids where id % 17 == 0 && id % 9 != 0 { try store.delete(namespace: "ns", id: id, context: testContext) }
            let oldIndex = try store.index(namespace: "ns")
            #expect(oldIndex.statistics.deletedNodes > 0)

            var phases: [IndexRebuildProgress.Phase] = []
            var lastDone = 0
            let newParameters = HNSWParameters(m: 12, efConstruction: 64, flatThreshold: 0)
            let result = try store.rebuildIndex(namespace: "ns", parameters: newParameters, progress: { progress in
                if phases.last != progress.phase { phases.append(progress.phase) }
                #expect(progress.done >= lastDone)
                lastDone = progress.done
            })
            #expect(phases == [.building, .catchingUp, .persisting])
            #expect(result.nodes == oldIndex.count)
            #expect(result.caughtUp == 0)
            let newIndex = try store.index(namespace: "ns")
            #expect(newIndex !== oldIndex)
            #expect(newIndex.statistics.deletedNodes == 0)
            #expect(store.namespaceConfig("ns")?.parameters == newParameters)
            try expectIndexMatchesEntries(store)
            #expect(store.verify().problems == [])

            // Each live entry finds itself.
            var found = 0, tried = 0
            for id in ids where id % 11 == 0 {
                guard let vector = try store.vector(namespace: "ns", id: id) else { continue }
                tried += 1
                if try store.search(namespace: "ns", vector: vector, k: 1).first?.key == id { found += 1 }
            }
            #expect(found >= tried * 95 / 100)

            // The new graph and parameters are what a reopened store loads.
            let before = try probe(store)
            let reopenedPath = dir + "/copy"
            try store.backup(to: reopenedPath)
            let reopened = try MemoryStore(path: reopenedPath)
            #expect(reopened.verify().problems == [])
            #expect(reopened.namespaceConfig("ns")?.parameters == newParameters)
            #expect(try probe(reopened) == before)
        }
    }

    @Test func writesDuringTheRebuildAreKeptAndSearchesKeepAnswering() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir, parameters: HNSWParameters(m: 8, efConstruction: 48, flatThreshold: 0))
            try fill(store, count: 6000)
            let stop = Atomic<Bool>(false)
            let failures = Mutex<[String]>([])
            let writes = Atomic<Int>(0)
            let searches = Atomic<Int>(0)
            let writer = onThread {
                var i: UInt64 = 0
                var mine: [UInt64] = []
                while !stop.load(ordering: .acquiring) || i < 300 {
                    do {
                        let id = try store.insert(MemoryDraft(text: "during \(i)"), vector: testVector(500_000 + i),
                                                  namespace: "ns", context: testContext).entry.id
                        mine.append(id)
                        if i % 3 == 0 {
                            try store.update(namespace: "ns", id: mine[mine.count / 2], vector: testVector(800_000 + i),
                                             context: testContext) { $0.text += "!" }
                        }
                        if i % 4 == 0, let victim = mine.first {
                            try store.delete(namespace: "ns", id: victim, context: testContext)
                            mine.removeFirst()
                        }
                        if i % 5 == 0 && i < 5000 { try store.delete(namespace: "ns", id: 1 + i, context: testContext) }
                        writes.add(1, ordering: .relaxed)
                    } catch {
                        failures.withLock { $0.append("writer \(i): \(error)") }
                    }
                    i += 1
                }
            }
            let searcher = onThread {
                var q: UInt64 = 0
                while !stop.load(ordering: .acquiring) {
                    do {
                        let hits = try store.search(namespace: "ns", vector: testVector(900_000 + q % 50), k: 10)
                        if hits.count != 10 { failures.withLock { $0.append("search \(q): \(hits.count) hits") } }
                        searches.add(1, ordering: .relaxed)
                    } catch {
                        failures.withLock { $0.append("search \(q): \(error)") }
                    }
                    q += 1
                }
            }
            let result = try store.rebuildIndex(namespace: "ns")
            stop.store(true, ordering: .releasing)
            writer.wait()
            searcher.wait()
            #expect(failures.withLock { $0 } == [])
            #expect(writes.load(ordering: .relaxed) >= 300)
            #expect(searches.load(ordering: .relaxed) > 0)
            #expect(result.caughtUp > 0, "the writer ran during the build")
            try expectIndexMatchesEntries(store)
            #expect(store.verify().problems == [])
            // A write after the switch lands in the new graph and is persisted with it.
            let late = try store.insert(MemoryDraft(text: "late"), vector: testVector(999_999), namespace: "ns", context: testContext)
            #expect(try store.search(namespace: "ns", vector: testVector(999_999), k: 1).first?.key == late.entry.id)
            try store.backup(to: dir + "/copy")
            let reopened = try MemoryStore(path: dir + "/copy")
            #expect(reopened.verify().problems == [])
            #expect(try probe(reopened) == probe(store))
        }
    }

    @Test func aCancelledRebuildChangesNothing() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir, parameters: HNSWParameters(m: 8, efConstruction: 32, flatThreshold: 0))
            try fill(store, count: 5000)
            let index = try store.index(namespace: "ns")
            let before = try probe(store)
            var pages = 0
            #expect(throws: MemoryStoreError.cancelled("index rebuild of \"ns\"")) {
                try store.rebuildIndex(namespace: "ns", parameters: HNSWParameters(m: 20), progress: { _ in pages += 1 },
                                       isCancelled: { pages >= 2 })
            }
            #expect(try store.index(namespace: "ns") === index)
            #expect(store.namespaceConfig("ns")?.parameters.m == 8)
            #expect(try probe(store) == before)
            #expect(store.verify().problems == [])
        }
    }

    @Test func unknownNamespaceAndBadParametersAreRefused() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            #expect(throws: MemoryStoreError.namespaceNotFound("nope")) { try store.rebuildIndex(namespace: "nope") }
            #expect(throws: MemoryStoreError.self) { try store.rebuildIndex(namespace: "ns", parameters: HNSWParameters(m: 1)) }
        }
    }
}
