import Foundation
@testable import MemoryStore
import Testing

/// ``StoreOperation``: the writes a replicated namespace sends through its log. Applied in the
/// same order from the same state (after travelling as JSON), they must give every node the
/// same entries, ids, audit events and refusals.
@Suite struct StoreOperationTests {
    static func travelled(_ operation: StoreOperation) throws -> StoreOperation {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try JSONDecoder().decode(StoreOperation.self, from: encoder.encode(operation))
    }

    static let time = Date(timeIntervalSince1970: 1_700_000_123.456789)

    /// A history touching every kind of operation, some of them refused.
    static func history() -> [StoreOperation] {
        let context = AuditContext(actor: "alice", reason: "why", time: time)
        let config = NamespaceConfig(name: "ns.a", dimension: 8, createdAt: time)
        var edited = MemoryEntry(id: 1, namespace: "ns.a", slot: 0, draft: MemoryDraft(text: "one, edited", createdAt: time))
        edited.tags = ["x"]
        edited.confidence = 0.75
        let item = ImportItem(id: 500, draft: MemoryDraft(text: "imported", tags: ["t"], createdAt: time, useCount: 3),
                              vector: testVector(500))
        return [
            .createNamespace(config),
            .insert(namespace: "ns.a", items: (1...3).map {
                DraftWithVector(draft: MemoryDraft(text: "entry \($0)", metadata: ["n": .number(Double($0) / 3)], createdAt: time),
                                vector: testVector(UInt64($0)))
            }, context: context),
            .update(EntryUpdate(namespace: "ns.a", id: 1, kind: .updated, vector: testVector(11), rejecting: .corrected,
                                reinstating: true, context: context, expectedVersion: 1, after: edited)),
            // Decided from version 1 again: refused (the entry is at version 2 now).
            .update(EntryUpdate(namespace: "ns.a", id: 1, kind: .updated, context: context, expectedVersion: 1, after: edited)),
            .recordUse(namespace: "ns.a", uses: [EntryUseRecord(id: 2, use: EntryUse(count: 4, lastUsedAt: time)),
                                                 EntryUseRecord(id: 2, use: EntryUse(count: 1, lastUsedAt: time + 5))]),
            .delete(EntryDeletion(namespace: "ns.a", id: 2, rejecting: .forgotten, context: context)),
            .delete(EntryDeletion(namespace: "ns.a", id: 2, context: context)),  // refused: gone
            .recordRefusal(namespace: "ns.a", owner: 2, text: "entry 2", context: context),
            .importEntries(namespace: "ns.a", items: [ImportedEntry(item)], context: context),
            .insert(namespace: "missing", items: [DraftWithVector(draft: MemoryDraft(text: "x", createdAt: time),
                                                                  vector: testVector(9))], context: context),  // refused
            .delete(EntryDeletion(namespace: "ns.a", id: 3, hard: true, context: context)),
        ]
    }

    /// Applies `history` as a replica does; returns each outcome or refusal, as text.
    static func apply(_ history: [StoreOperation], to store: MemoryStore) throws -> [String] {
        try history.enumerated().map { offset, operation in
            let travelled = try travelled(operation)
            #expect(travelled == operation)
            do {
                return "\(try store.perform(travelled, logSequence: UInt64(offset + 1)))"
            } catch let error as MemoryStoreError where error.isRefusalForTest {
                try store.recordAppliedLogSequence(UInt64(offset + 1))
                return "refused: \(error)"
            }
        }
    }

    @Test func theSameOperationsGiveTheSameStoreOnEveryNode() throws {
        try withTemporaryDirectory { dir in
            let first = try MemoryStore(path: dir + "/a")
            let second = try MemoryStore(path: dir + "/b")
            let history = Self.history()
            let outcomesA = try Self.apply(history, to: first)
            let outcomesB = try Self.apply(history, to: second)
            #expect(outcomesA == outcomesB)
            #expect(outcomesA.filter { $0.hasPrefix("refused") }.count == 3)
            #expect(try first.entries(namespace: "ns.a", limit: 100).entries == second.entries(namespace: "ns.a", limit: 100).entries)
            #expect(try first.audit(limit: 100) == second.audit(limit: 100))
            let entries = try first.entries(namespace: "ns.a", limit: 100).entries
            #expect(entries.map(\.id) == [1, 500])
            #expect(entries[0].text == "one, edited" && entries[0].version == 2 && entries[0].tags == ["x"])
            #expect(try first.rejectedClaims(namespace: "ns.a", entryID: 1).map(\.text) == ["entry 1"])
            #expect(try first.appliedLogSequence() == UInt64(history.count))
            #expect(try second.appliedLogSequence() == UInt64(history.count))
        }
    }

    @Test func anUpdateKeepsTheUseCountsRecordedAfterItWasDecided() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let id = try fill(store, count: 1)[0]
            let before = try #require(try store.get(namespace: "ns", id: id))
            try store.recordUse(namespace: "ns", uses: [id: EntryUse(count: 7, lastUsedAt: Self.time)])
            var after = before
            after.text = "changed"
            try store.perform(.update(EntryUpdate(namespace: "ns", id: id, kind: .updated, vector: testVector(77),
                                                  context: testContext, expectedVersion: before.version, after: after)))
            let stored = try #require(try store.get(namespace: "ns", id: id))
            #expect(stored.text == "changed" && stored.useCount == 7 && stored.lastUsedAt == Self.time)
        }
    }

    @Test func theLogPositionIsWrittenWithTheWriteOnly() throws {
        try withTemporaryDirectory { dir in
            var store: MemoryStore! = try openStore(dir)
            #expect(try store.appliedLogSequence() == 0)
            #expect(try store.logIdentity() == nil)
            try store.recordLogIdentity("ENGRAM@2026-12-06T07:00:00.1Z")
            #expect(throws: MemoryStoreError.self) { try store.recordLogIdentity("") }
            try store.perform(.insert(namespace: "ns", items: [DraftWithVector(draft: MemoryDraft(text: "a"), vector: testVector(1))],
                                      context: testContext), logSequence: 41)
            #expect(try store.appliedLogSequence() == 41)
            // A write outside the log (no sequence) leaves the position alone.
            _ = try fill(store, count: 1, seed: 9)
            #expect(try store.appliedLogSequence() == 41)
            // A refused operation commits nothing, so records nothing by itself.
            #expect(throws: MemoryStoreError.self) {
                try store.perform(.delete(EntryDeletion(namespace: "ns", id: 999, context: testContext)), logSequence: 42)
            }
            #expect(try store.appliedLogSequence() == 41)
            try store.recordAppliedLogSequence(42)
            try store.recordAppliedLogSequence(40)  // never backwards
            #expect(try store.appliedLogSequence() == 42)
            store = nil
            #expect(try MemoryStore.appliedLogSequence(ofStoreAt: dir + "/store") == 42)
            store = try MemoryStore(path: dir + "/store")
            #expect(try store.appliedLogSequence() == 42)
            #expect(try store.logIdentity() == "ENGRAM@2026-12-06T07:00:00.1Z")
            #expect(store.verify().isConsistent)
        }
    }
}

extension MemoryStoreError {
    /// What the engine's `isRefusal` says (the store's tests do not link the engine).
    var isRefusalForTest: Bool {
        switch self {
        case .corrupt, .locked, .newerSchema, .notAMemoryStore, .cancelled: false
        default: true
        }
    }
}
