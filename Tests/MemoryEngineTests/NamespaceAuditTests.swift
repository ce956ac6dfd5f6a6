import Foundation
import HNSW
import LMDB
import MemoryEngine
import MemoryStore
import Testing

@Suite struct NamespaceAuditTests {
    @Test func namespacesCreateListStatAndDeleteWithConfirmation() throws {
        try withEngine { h in
            let params = HNSWParameters(m: 8, efConstruction: 50, efSearch: 20)
            let created = try h.engine.createNamespace("tenant-a", NamespaceRequest(dimension: 16, metric: .l2, parameters: params))
            #expect(created.dimension == 16 && created.metric == .l2 && created.parameters == params && created.entryCount == 0)
            #expect(created.embedderID == nil)
            // Idempotent; another configuration conflicts.
            #expect(try h.engine.createNamespace("tenant-a", NamespaceRequest(dimension: 16, metric: .l2, parameters: params)).name == "tenant-a")
            #expect(errorCode { try h.engine.createNamespace("tenant-a", NamespaceRequest(dimension: 32)) } == "conflict")
            #expect(errorCode { try h.engine.createNamespace("x", NamespaceRequest(dimension: 0)) } == "invalid_argument")
            #expect(errorCode { try h.engine.createNamespace("x", NamespaceRequest(parameters: HNSWParameters(m: 1))) } == "invalid_argument")
            #expect(errorCode { try h.engine.createNamespace("a/b") } == "invalid_argument")

            _ = try h.engine.remember(RememberRequest(text: "hello"), namespace: "tenant-b")
            _ = try h.engine.remember(RememberRequest(text: "world"), namespace: "tenant-b")
            #expect(h.engine.namespaces().map(\.name) == ["tenant-a", "tenant-b"])
            let stats = try h.engine.namespace("tenant-b")
            #expect(stats.entryCount == 2 && stats.dimension == 64 && stats.embedderID == "test-hashing-64")
            #expect(errorCode { _ = try h.engine.namespace("nope") } == "namespace_not_found")

            #expect(errorCode { try h.engine.deleteNamespace("tenant-b", confirm: false) } == "invalid_argument")
            #expect(try h.engine.namespace("tenant-b").entryCount == 2)
            let sequence = try h.engine.deleteNamespace("tenant-b", confirm: true)
            #expect(sequence == (try h.store.lastSequence))
            #expect(errorCode { _ = try h.engine.search(namespace: "tenant-b", SearchRequest(text: "hello")) } == "namespace_not_found")
            #expect(errorCode { try h.engine.deleteNamespace("tenant-b", confirm: true) } == "namespace_not_found")
            // Re-created by a write, empty.
            _ = try h.engine.remember(RememberRequest(text: "again"), namespace: "tenant-b")
            #expect(try h.engine.search(namespace: "tenant-b", SearchRequest(text: "hello", k: 10)).map(\.entry.text) == ["again"])
        }
    }

    @Test func l2NamespacesLearnByCosineSimilarity() throws {
        try withEngine { h in
            try h.engine.createNamespace("l2", NamespaceRequest(dimension: 3, metric: .l2))
            let a = try h.engine.learn(RememberRequest(text: "a", vector: [1, 0, 0]), namespace: "l2")
            // Same direction, different length: cosine 1.
            let b = try h.engine.learn(RememberRequest(text: "a again", vector: [3, 0, 0]), namespace: "l2")
            #expect(b.action == .reinforced && b.entry!.id == a.entry!.id)
            let c = try h.engine.learn(RememberRequest(text: "c", vector: [0, 1, 0]), namespace: "l2")
            #expect(c.action == .created)
            let hits = try h.engine.search(namespace: "l2", SearchRequest(vector: [0, 2, 0], k: 2))
            #expect(hits.first?.entry.id == c.entry!.id)
            #expect(abs(try #require(hits.first?.similarity) - 1.0 / 2.0) < 1e-6)   // d = 1 → 1/(1+1)
        }
    }

    @Test func auditPagesBySequenceAndNamespace() throws {
        try withEngine { h in
            var sequences: [UInt64] = []
            for i in 0..<4 {
                sequences.append(try h.engine.remember(RememberRequest(text: "a\(i)"), namespace: "a").sequence)
                sequences.append(try h.engine.remember(RememberRequest(text: "b\(i)"), namespace: "b").sequence)
            }
            let all = try h.engine.audit(limit: 100)
            #expect(all.events.map(\.sequence) == sequences && all.nextCursor == nil)
            let page = try h.engine.audit(after: sequences[1], limit: 3)
            #expect(page.events.map(\.sequence) == Array(sequences[2..<5]) && page.nextCursor == sequences[4])
            let range = try h.engine.audit(after: sequences[0], through: sequences[3], limit: 100)
            #expect(range.events.map(\.sequence) == Array(sequences[1...3]))
            let onlyB = try h.engine.audit(namespace: "b", limit: 100)
            #expect(onlyB.events.allSatisfy { $0.namespace == "b" } && onlyB.events.count == 4)
            let bPage = try h.engine.audit(after: onlyB.events[1].sequence, namespace: "b", limit: 1)
            #expect(bPage.events.map(\.sequence) == [onlyB.events[2].sequence])
            // History never crosses namespaces.
            let aID = all.events[0].entryID
            #expect(errorCode { _ = try h.engine.history(namespace: "b", id: aID) } == "not_found")
            #expect(try h.engine.history(namespace: "a", id: aID).events.count == 1)
            #expect(errorCode { _ = try h.engine.history(namespace: "a", id: 9999) } == "not_found")
        }
    }

    @Test func auditFiltersByActorKindEntryAndTime() throws {
        try withEngine { h in
            let start = h.clock.now
            let first = try h.engine.remember(RememberRequest(text: "refunds take 14 days"), namespace: "a", actor: "extraction:model")
            h.clock.advance(by: 3600)
            _ = try h.engine.edit(namespace: "a", id: first.entry.id, EditRequest(text: "refunds take 30 days"), actor: "alice",
                                  reason: "policy")
            let other = try h.engine.remember(RememberRequest(text: "lunch at noon"), namespace: "b", actor: "alice")
            h.clock.advance(by: 3600)
            _ = try h.engine.forget(namespace: "b", id: other.entry.id, actor: "bob")
            func sequences(_ filter: AuditFilter, namespace: String? = nil, limit: Int = 100) throws -> [UInt64] {
                try h.engine.audit(namespace: namespace, filter: filter, limit: limit).events.map(\.sequence)
            }
            #expect(try sequences(AuditFilter(actor: "alice")) == [2, 3])
            #expect(try sequences(AuditFilter(actor: "alice"), namespace: "a") == [2])
            #expect(try sequences(AuditFilter(kinds: [.created])) == [1, 3])
            #expect(try sequences(AuditFilter(kinds: [.updated, .deleted])) == [2, 4])
            #expect(try sequences(AuditFilter(entryID: first.entry.id)) == [1, 2])
            #expect(try sequences(AuditFilter(since: start.addingTimeInterval(1800))) == [2, 3, 4])
            #expect(try sequences(AuditFilter(until: start.addingTimeInterval(1800))) == [1])
            #expect(try sequences(AuditFilter(actor: "nobody")).isEmpty)
            // Pages of a filtered query go on from the last event read.
            let page = try h.engine.audit(filter: AuditFilter(actor: "alice"), limit: 1)
            #expect(page.events.map(\.sequence) == [2] && page.nextCursor == 2)
            let next = try h.engine.audit(after: 2, filter: AuditFilter(actor: "alice"), limit: 1)
            #expect(next.events.map(\.sequence) == [3])
            #expect(errorCode { _ = try h.engine.audit(filter: AuditFilter(since: start, until: start.addingTimeInterval(-1))) }
                    == "invalid_argument")
        }
    }

    @Test func aFullStoreReportsStorageFullAndStaysUsable() throws {
        let options = MemoryStoreOptions(mapSize: 1 << 20, maxMapSize: 1 << 20)
        try withEngine(storeOptions: options) { h in
            let big = String(repeating: "lorem ipsum dolor sit amet ", count: 1100)   // ~30 KB
            var written: [UInt64] = []
            var failure: EngineError?
            for i in 0..<200 {
                do {
                    written.append(try h.engine.remember(RememberRequest(text: "\(i) " + big), namespace: "n").entry.id)
                } catch let error as EngineError {
                    failure = error
                    break
                }
            }
            #expect(failure?.code == "storage_full")
            #expect(!written.isEmpty)
            let listed = try h.engine.list(namespace: "n", limit: 1000).entries.map(\.id)
            #expect(listed == written)
            #expect(try h.engine.get(namespace: "n", id: written[0]).text.hasPrefix("0 "))
        }
    }

    @Test func lowerLayerErrorsTranslateToStableCodes() {
        #expect(EngineError(LMDBError.mapFull).code == "storage_full")
        #expect(EngineError(LMDBError.noSpace).code == "storage_full")
        #expect(EngineError(LMDBError.transactionFull).code == "payload_too_large")
        #expect(EngineError(LMDBError.corrupted).code == "internal")
        #expect(EngineError(MemoryStoreError.namespaceNotFound("x")).code == "namespace_not_found")
        #expect(EngineError(MemoryStoreError.entryNotFound(namespace: "x", id: 1)).code == "not_found")
        #expect(EngineError(MemoryStoreError.namespaceConflict("x")).code == "conflict")
        #expect(EngineError(MemoryStoreError.invalidVector("namespace \"x\" has dimension 3, the vector has 2")).code
                == "dimension_mismatch")
        #expect(EngineError(MemoryStoreError.locked("x")).code == "unavailable")
        #expect(EngineError(HNSWError.invalidArgument("k")).code == "invalid_argument")
        let error = EngineError.notFound("no entry 7")
        #expect(error.message == "no entry 7" && error.description == "not_found: no entry 7")
    }
}
