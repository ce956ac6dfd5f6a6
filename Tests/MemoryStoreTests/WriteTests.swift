import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import Testing
import VectorMath
import EngramJSON

@Suite struct WriteTests {
    @Test func updateRecordsBeforeAndAfterAndReindexes() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let ids = try fill(store, count: 20)
            let id = ids[4]
            let original = try #require(try store.get(namespace: "ns", id: id))
            let later = AuditContext(actor: "editor", reason: "typo", time: Date(timeIntervalSince1970: 1_800_000_000))
            let result = try store.update(namespace: "ns", id: id, vector: testVector(77_777), context: later) { entry in
                entry.text = "corrected"
                entry.tags = ["fixed"]
                entry.id = 999  // the store restores what it owns
                entry.version = 50
            }
            #expect(result.entry.id == id && result.entry.version == 2 && result.entry.updatedAt == later.time)
            #expect(result.entry.slot != original.slot)
            #expect(try store.get(namespace: "ns", id: id) == result.entry)
            #expect(try store.search(namespace: "ns", vector: testVector(77_777), k: 1).first?.key == id)
            let history = try store.audit(entryID: id)
            #expect(history.map(\.kind) == [.created, .updated])
            #expect(history[1].before == original && history[1].after == result.entry && history[1].actor == "editor")
            #expect(history[1].sequence == result.sequence)

            // Kinds: reinforced/feedback/reverted without a vector keep the slot.
            let reinforced = try store.update(namespace: "ns", id: id, kind: .reinforced, context: testContext) {
                $0.evidence.support += 1
                $0.confidence = 0.9
            }
            #expect(reinforced.entry.slot == result.entry.slot && reinforced.entry.version == 3)
            #expect(throws: MemoryStoreError.self) {
                try store.update(namespace: "ns", id: id, kind: .created, context: testContext) { _ in }
            }
            #expect(throws: MemoryStoreError.self) {
                try store.update(namespace: "ns", id: id, context: testContext) { $0.confidence = 2 }
            }
            #expect(throws: MemoryStoreError.entryNotFound(namespace: "ns", id: 12_345)) {
                try store.update(namespace: "ns", id: 12_345, context: testContext) { _ in }
            }
            // A throwing change writes nothing.
            struct Refused: Error {}
            let last = try store.lastSequence
            #expect(throws: Refused.self) { try store.update(namespace: "ns", id: id, context: testContext) { _ in throw Refused() } }
            #expect(try store.lastSequence == last)
            #expect(store.verify().problems == [])
        }
    }

    @Test func deleteRemovesFromIndexAndKeepsHistory() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let ids = try fill(store, count: 10)
            let removed = try store.delete(namespace: "ns", id: ids[3], context: testContext)
            #expect(removed.entry.id == ids[3] && removed.sequence == 11)
            #expect(try store.get(namespace: "ns", id: ids[3]) == nil)
            #expect(try !store.search(namespace: "ns", vector: testVector(3), k: 10).map(\.key).contains(ids[3]))
            let history = try store.audit(entryID: ids[3])
            #expect(history.map(\.kind) == [.created, .deleted])
            #expect(history[1].before?.text == "memory 0-3" && history[1].after == nil && !history[1].isScrubbed)
            #expect(throws: MemoryStoreError.entryNotFound(namespace: "ns", id: ids[3])) {
                try store.delete(namespace: "ns", id: ids[3], context: testContext)
            }
            try store.delete(namespace: "ns", id: ids[4], kind: .expired, context: testContext)
            #expect(try store.audit(entryID: ids[4]).last?.kind == .expired)
            #expect(store.verify().problems == [])
        }
    }

    @Test func hardDeleteScrubsTextFromTheWholeHistory() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let ids = try fill(store, count: 5)
            let id = ids[2]
            try store.update(namespace: "ns", id: id, vector: testVector(31_337), context: testContext) { $0.text = "secret v2" }
            try store.delete(namespace: "ns", id: id, hard: true, context: testContext)
            let history = try store.audit(entryID: id)
            #expect(history.map(\.kind) == [.created, .updated, .deleted])
            for event in history {
                #expect(event.isScrubbed)
                #expect(event.before.map { $0.text.isEmpty } ?? true)
                #expect(event.after.map { $0.text.isEmpty } ?? true)
            }
            // No hash of the text is kept: an unsalted hash of a short secret gives it back.
            #expect(history.allSatisfy { $0.beforeTextSHA256 == nil && $0.afterTextSHA256 == nil })
            // The consolidation that follows a hard delete frees the node and its vector.
            let statistics = try store.index(namespace: "ns").statistics
            #expect(statistics.deletedNodes == 0)
            // Other entries' history is untouched.
            #expect(try store.audit(entryID: ids[1]).allSatisfy { !$0.isScrubbed && $0.after?.text == "memory 0-1" })
            #expect(store.verify().problems == [])
        }
    }

    @Test func oversizedFieldsAreRefused() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let big = String(repeating: "x", count: MemoryStore.maxTextBytes + 1)
            #expect(throws: MemoryStoreError.invalidArgument("text has 32769 bytes, more than 32768")) {
                try store.insert(MemoryDraft(text: big), vector: testVector(1), namespace: "ns", context: testContext)
            }
            let metadata: [String: JSONValue] = ["blob": .string(String(repeating: "m", count: MemoryStore.maxMetadataBytes))]
            #expect(throws: MemoryStoreError.self) {
                try store.insert(MemoryDraft(text: "ok", metadata: metadata), vector: testVector(1), namespace: "ns", context: testContext)
            }
            #expect(throws: MemoryStoreError.self) {
                try store.insert(MemoryDraft(text: "ok", confidence: .nan), vector: testVector(1), namespace: "ns", context: testContext)
            }
            #expect(throws: MemoryStoreError.invalidVector("component 2 is NaN or infinite")) {
                var vector = testVector(1)
                vector[2] = .infinity
                try store.insert(MemoryDraft(text: "ok"), vector: vector, namespace: "ns", context: testContext)
            }
            // Exactly at the limits is fine.
            try store.insert(MemoryDraft(text: String(repeating: "y", count: MemoryStore.maxTextBytes)), vector: testVector(1),
                             namespace: "ns", context: testContext)
            #expect(try store.lastSequence == 1)
        }
    }

    @Test func batchInsertIsOneTransaction() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            try fill(store, count: 3)
            let items = (0..<500).map { i in (draft: MemoryDraft(text: "import \(i)", source: "import"), vector: testVector(50_000 + UInt64(i))) }
            let results = try store.insertBatch(items, namespace: "ns", context: testContext)
            #expect(results.map(\.entry.id) == Array(4...503))
            #expect(results.map(\.sequence) == Array(4...503))
            #expect(try store.index(namespace: "ns").count == 503)
            for (i, result) in results.enumerated() where i % 50 == 0 {
                #expect(try store.get(namespace: "ns", id: result.entry.id)?.text == "import \(i)")
                #expect(try store.search(namespace: "ns", vector: items[i].vector, k: 1).first?.key == result.entry.id)
            }
            // One bad vector refuses the whole batch.
            var bad = items
            bad[7].vector = [Float](repeating: 0, count: 8)
            #expect(throws: MemoryStoreError.invalidVector("item 7: a zero vector has no direction under the cosine metric")) {
                try store.insertBatch(bad, namespace: "ns", context: testContext)
            }
            #expect(try store.index(namespace: "ns").count == 503)
            #expect(try store.lastSequence == 503)
            #expect(store.verify().problems == [])
        }
    }

    @Test func paginationCoversEveryEntryOnce() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            try store.createNamespace(NamespaceConfig(name: "ns2", dimension: 8))
            let ids = try fill(store, count: 25)
            try fill(store, count: 5, namespace: "ns2")  // interleaved keys of another namespace must not leak in
            try store.delete(namespace: "ns", id: ids[10], context: testContext)
            for limit in [1, 4, 24, 25, 100] {
                var seen: [UInt64] = []
                var cursor: UInt64 = 0
                var pages = 0
                while true {
                    let page = try store.entries(namespace: "ns", after: cursor, limit: limit)
                    #expect(page.entries.count <= limit)
                    seen += page.entries.map(\.id)
                    pages += 1
                    guard let next = page.nextCursor else { break }
                    cursor = next
                }
                #expect(seen == ids.filter { $0 != ids[10] })
                #expect(pages == (24 + limit - 1) / limit)
            }
            #expect(try store.entries(namespace: "ns", after: ids.last!).entries.isEmpty)
            #expect(try store.entries(namespace: "ns", after: .max).nextCursor == nil)
            #expect(throws: MemoryStoreError.self) { try store.entries(namespace: "ns", limit: 0) }
            #expect(try store.entries(namespace: "ns2").entries.count == 5)
        }
    }

    @Test func auditIsGapFreeAndListedByNamespaceAndEntry() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            try store.createNamespace(NamespaceConfig(name: "b", dimension: 8))
            let a = try fill(store, count: 4)
            let b = try fill(store, count: 3, namespace: "b")
            try store.update(namespace: "ns", id: a[0], kind: .feedback, context: testContext) { $0.evidence.useful += 1 }
            try store.delete(namespace: "b", id: b[1], context: testContext)
            try store.update(namespace: "ns", id: a[0], kind: .reverted, context: testContext) { $0.evidence.useful -= 1 }
            let all = try store.audit()
            #expect(all.map(\.sequence) == Array(1...10))
            #expect(try store.lastSequence == 10)
            #expect(try store.audit(after: 3, limit: 2).map(\.sequence) == [4, 5])
            #expect(try store.audit(after: 10).isEmpty)
            #expect(try store.audit(namespace: "b").map(\.sequence) == [5, 6, 7, 9])
            #expect(try store.audit(namespace: "b", after: 5, limit: 2).map(\.sequence) == [6, 7])
            #expect(try store.audit(namespace: "n").isEmpty)  // a prefix of "ns" is another namespace
            #expect(try store.audit(entryID: a[0]).map(\.kind) == [.created, .feedback, .reverted])
            #expect(try store.audit(entryID: a[0], after: 1).map(\.kind) == [.feedback, .reverted])
            #expect(store.verify().problems == [])
        }
    }

    @Test func recordUseTouchesWithoutAuditOrVersion() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let ids = try fill(store, count: 3)
            let when = Date(timeIntervalSince1970: 1_750_000_000)
            let once = EntryUse(count: 1, lastUsedAt: when)
            #expect(try store.recordUse(namespace: "ns", uses: [ids[0]: once, ids[2]: once, 999: once]) == 2)
            let entry = try #require(try store.get(namespace: "ns", id: ids[0]))
            #expect(entry.useCount == 1 && entry.lastUsedAt == when && entry.version == 1)
            #expect(try store.lastSequence == 3)
            #expect(store.verify().problems == [])
        }
    }

    @Test func recordUseAddsEachEntrysCountAndKeepsTheLatestTime() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let ids = try fill(store, count: 2)
            let early = Date(timeIntervalSince1970: 1_750_000_000), late = early.addingTimeInterval(60)
            #expect(try store.recordUse(namespace: "ns", uses: [
                ids[0]: EntryUse(count: 40, lastUsedAt: late),
                ids[1]: EntryUse(count: 1, lastUsedAt: early),
                999: EntryUse(count: 3, lastUsedAt: late),
            ]) == 2)
            // An older use does not move last_used_at back; counts add up.
            #expect(try store.recordUse(namespace: "ns", uses: [ids[0]: EntryUse(count: 2, lastUsedAt: early)]) == 1)
            let first = try #require(try store.get(namespace: "ns", id: ids[0]))
            let second = try #require(try store.get(namespace: "ns", id: ids[1]))
            #expect(first.useCount == 42 && first.lastUsedAt == late && first.version == 1)
            #expect(second.useCount == 1 && second.lastUsedAt == early)
            #expect(try store.lastSequence == 2)
            #expect(store.verify().problems == [])
        }
    }

    @Test func manyDeletesConsolidateAndPersist() throws {
        try withTemporaryDirectory { dir in
            let parameters = HNSWParameters(m: 8, efConstruction: 32, flatThreshold: 0, consolidationFraction: 0.1)
            var remaining: [UInt64] = []
            do {
                let store = try openStore(dir, parameters: parameters)
                let ids = try fill(store, count: 200)
                for id in ids where id % 2 == 0 { try store.delete(namespace: "ns", id: id, context: testContext) }
                remaining = ids.filter { $0 % 2 == 1 }
                let statistics = try store.index(namespace: "ns").statistics
                #expect(statistics.freeSlots > 0)  // consolidation ran and freed slots
                #expect(store.verify().problems == [])
                // New inserts reuse freed slots.
                try fill(store, count: 20, seed: 9)
                #expect(store.verify().problems == [])
            }
            let store = try openStore(dir, createNamespace: false, parameters: parameters)
            #expect(store.verify().problems == [])
            for id in remaining.prefix(20) {
                let vector = try #require(try store.vector(namespace: "ns", id: id))
                #expect(try store.search(namespace: "ns", vector: vector, k: 3, ef: 100).map(\.key).contains(id))
            }
        }
    }
}
