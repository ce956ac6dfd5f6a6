import Foundation
import LMDB
@testable import MemoryStore
import Testing

/// Versions, counts and counters that come from outside (an imported file, a damaged meta
/// record) never overflow: they are refused, or the write that would pass the limit is.
@Suite struct CounterLimitTests {
    func importOne(_ store: MemoryStore, id: UInt64 = 7, _ draft: MemoryDraft) throws -> ImportOutcome {
        try store.importEntries([ImportItem(id: id, draft: draft, vector: testVector(id))], namespace: "ns",
                                context: testContext).outcomes[0]
    }

    @Test func importRefusesVersionsAndCountsPastTheLimit() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let huge: UInt64 = .max
            #expect(try importOne(store, MemoryDraft(text: "t", version: huge)).status == .invalid)
            #expect(try importOne(store, MemoryDraft(text: "t", version: MemoryStore.maxCount + 1)).status == .invalid)
            #expect(try importOne(store, MemoryDraft(text: "t", useCount: huge)).status == .invalid)
            #expect(try importOne(store, MemoryDraft(text: "t", evidence: Evidence(support: huge))).status == .invalid)
            #expect(try importOne(store, MemoryDraft(text: "t", version: MemoryStore.maxCount)).status == .created)
            #expect(store.verify().problems == [])
        }
    }

    @Test func anEntryAtTheLargestVersionRefusesEditsAndStaysReadable() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            #expect(try importOne(store, MemoryDraft(text: "t", version: MemoryStore.maxCount)).status == .created)
            #expect(throws: MemoryStoreError.self) {
                try store.update(namespace: "ns", id: 7, kind: .feedback, context: testContext) { $0.confidence = 0.9 }
            }
            #expect(try store.get(namespace: "ns", id: 7)?.version == MemoryStore.maxCount)
            // Deleting it still works: the entry is not stuck.
            try store.delete(namespace: "ns", id: 7, context: testContext)
            #expect(store.verify().problems == [])
        }
    }

    @Test func importedIdsStayFarFromTheEndOfTheIdSpace() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            // The id counter moves past an imported id: one near 2^63 would use up the ids.
            #expect(try importOne(store, id: MemoryStore.maxCount + 1, MemoryDraft(text: "t")).status == .invalid)
            #expect(try importOne(store, id: (1 << 63) - 1, MemoryDraft(text: "t")).status == .invalid)
            #expect(try importOne(store, id: MemoryStore.maxCount, MemoryDraft(text: "t")).status == .created)
            let next = try store.insert(MemoryDraft(text: "after"), vector: testVector(9), namespace: "ns", context: testContext)
            #expect(next.entry.id == MemoryStore.maxCount + 1)
        }
    }

    @Test func countsSaturateInsteadOfWrapping() {
        #expect(MemoryStore.saturatingCount(.max, plus: 1) == MemoryStore.maxCount)
        #expect(MemoryStore.saturatingCount(MemoryStore.maxCount, plus: 5) == MemoryStore.maxCount)
        #expect(MemoryStore.saturatingCount(3, plus: 4) == 7)
    }

    @Test func countersCannotPassTheirLimit() throws {
        let nearlyUsedUp = Counters(nextEntryID: Counters.limit - 2, nextSequence: 10, nextNamespaceID: .max - 1)
        #expect(try nearlyUsedUp.advanced(entries: 2).nextEntryID == Counters.limit)
        #expect(throws: MemoryStoreError.self) { try nearlyUsedUp.advanced(entries: 3) }
        #expect(throws: MemoryStoreError.self) { try nearlyUsedUp.advanced(namespaces: 2) }
        #expect(throws: MemoryStoreError.self) { try nearlyUsedUp.advanced(events: -1) }
    }
}
