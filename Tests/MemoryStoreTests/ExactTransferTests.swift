import Foundation
@testable import MemoryStore
import Testing

/// Export then import is exact: the vector's bits, every field.
@Suite struct ExactTransferTests {
    @Test func anExportedEntryImportsBackBitForBit() throws {
        try withTemporaryDirectory { dir in
            let source = try MemoryStore(path: dir + "/a")
            try source.createNamespace(NamespaceConfig(name: "ns", dimension: 8))
            try fill(source, count: 200, namespace: "ns")
            // Event time, validity and thread travel too (MemoryDraft(entry) carries them).
            try source.update(namespace: "ns", id: 3, context: testContext) {
                $0.occurredAt = Date(timeIntervalSince1970: 1_683_504_000)
                $0.validFrom = Date(timeIntervalSince1970: 1_683_504_000)
                $0.validTo = Date(timeIntervalSince1970: 1_683_590_400)
                $0.thread = "session-9"
                $0.position = 12
            }
            let target = try MemoryStore(path: dir + "/b")
            try target.createNamespace(NamespaceConfig(name: "ns", dimension: 8))
            let exported = try source.exportPage(namespace: "ns", limit: 1000).entries
            let items = exported.map { ImportItem(id: $0.entry.id, draft: MemoryDraft($0.entry), vector: $0.vector) }
            _ = try target.importEntries(items, namespace: "ns", context: testContext)
            let reimported = try target.exportPage(namespace: "ns", limit: 1000).entries
            #expect(reimported.count == exported.count)
            for (a, b) in zip(exported, reimported) {
                #expect(a.vector.map(\.bitPattern) == b.vector.map(\.bitPattern), "entry \(a.entry.id)")
                #expect(MemoryStore.differences(a.entry, b.entry).isEmpty, "entry \(a.entry.id)")
            }
            #expect(reimported.first { $0.entry.id == 3 }?.entry.thread == "session-9")
        }
    }
}
