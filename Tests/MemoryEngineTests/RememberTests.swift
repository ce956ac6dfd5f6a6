import Foundation
import MemoryEngine
import MemoryStore
import Testing

@Suite struct RememberTests {
    @Test func rememberAutoCreatesTheNamespaceAndIsSearchableAtOnce() throws {
        try withEngine { h in
            #expect(h.store.namespaceConfig("notes") == nil)
            let outcome = try h.engine.remember(
                RememberRequest(text: "The office wifi password is hunter2", tags: ["office", "wifi"],
                                metadata: ["floor": .number(3)], source: "agent", confidence: 0.7),
                namespace: "notes")
            let config = try #require(h.store.namespaceConfig("notes"))
            #expect(config.dimension == 64 && config.metric == .cosine && config.embedderID == "test-hashing-64")
            #expect(outcome.sequence == (try h.store.lastSequence))
            #expect(outcome.entry.version == 1 && outcome.entry.confidence == 0.7 && outcome.entry.source == "agent")
            #expect(outcome.entry.createdAt == h.clock.now)
            // Read your writes: the very next search sees it.
            let hits = try h.engine.search(namespace: "notes", SearchRequest(text: "office wifi password", k: 3))
            #expect(hits.map(\.entry.id) == [outcome.entry.id])
            let got = try h.engine.get(namespace: "notes", id: outcome.entry.id)
            #expect(got.text == "The office wifi password is hunter2" && got.tags == ["office", "wifi"])
            #expect(got.metadata == ["floor": .number(3)])
            let events = try h.engine.history(namespace: "notes", id: outcome.entry.id).events
            #expect(events.map(\.kind) == [.created] && events[0].sequence == outcome.sequence)
        }
    }

    @Test func callerVectorIsIndexedAsSent() throws {
        try withEngine { h in
            try h.engine.createNamespace("vectors", NamespaceRequest(dimension: 3))
            let a = try h.engine.remember(RememberRequest(text: "x axis", vector: [1, 0, 0]), namespace: "vectors")
            let b = try h.engine.remember(RememberRequest(text: "y axis", vector: [0, 1, 0]), namespace: "vectors")
            let hits = try h.engine.search(namespace: "vectors", SearchRequest(vector: [0.1, 0.9, 0], k: 2))
            #expect(hits.map(\.entry.id) == [b.entry.id, a.entry.id])
            #expect(b.sequence == a.sequence + 1)
            // Text needs the embedder, whose dimension differs.
            #expect(errorCode { _ = try h.engine.remember(RememberRequest(text: "z axis"), namespace: "vectors") } == "dimension_mismatch")
            #expect(errorCode { _ = try h.engine.search(namespace: "vectors", SearchRequest(text: "x")) } == "dimension_mismatch")
        }
    }

    @Test func aWriteThatCreatesTheNamespaceSaysSo() throws {
        try withEngine { h in
            let first = try h.engine.remember(RememberRequest(text: "hello"), namespace: "suport")
            #expect(first.namespaceCreated == true)
            let second = try h.engine.remember(RememberRequest(text: "again"), namespace: "suport")
            #expect(second.namespaceCreated == nil)
            let learned = try h.engine.learn(RememberRequest(text: "fresh fact"), namespace: "other")
            #expect(learned.action == .created && learned.namespaceCreated == true)
            let batch = try h.engine.rememberBatch([RememberRequest(text: "a"), RememberRequest(text: "b")], namespace: "third")
            #expect(batch.map(\.namespaceCreated) == [true, nil])
        }
    }

    @Test func autoCreateOffRequiresAnExistingNamespace() throws {
        var configuration = EngineConfiguration()
        configuration.autoCreateNamespaces = false
        try withEngine(configuration: configuration) { h in
            #expect(errorCode { _ = try h.engine.remember(RememberRequest(text: "hello"), namespace: "n") } == "namespace_not_found")
            #expect(errorCode { _ = try h.engine.learn(RememberRequest(text: "hello"), namespace: "n") } == "namespace_not_found")
            #expect(h.store.namespaceConfig("n") == nil)
            try h.engine.createNamespace("n")
            #expect(try h.engine.remember(RememberRequest(text: "hello"), namespace: "n").entry.text == "hello")
        }
    }

    @Test func badInputGetsTheRightCodeAndWritesNothing() throws {
        try withEngine { h in
            let seed = try h.engine.remember(RememberRequest(text: "seed"), namespace: "ns")
            let before = try h.store.lastSequence
            func remember(_ request: RememberRequest, namespace: String = "ns") -> String? {
                errorCode { _ = try h.engine.remember(request, namespace: namespace) }
            }
            #expect(remember(RememberRequest(text: "")) == "invalid_argument")
            #expect(remember(RememberRequest(text: " \n\t ")) == "invalid_argument")
            #expect(remember(RememberRequest(text: String(repeating: "a", count: 32 * 1024 + 1))) == "payload_too_large")
            #expect(remember(RememberRequest(text: "ok", metadata: ["blob": .string(String(repeating: "b", count: 17_000))]))
                    == "payload_too_large")
            #expect(remember(RememberRequest(text: "ok", metadata: ["n": .number(.nan)])) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", confidence: 1.5)) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", confidence: .nan)) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", tags: [""])) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", tags: ["a\u{0}b"])) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", tags: (0..<65).map { "t\($0)" })) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", source: "")) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", expiresAt: h.clock.now.addingTimeInterval(-1))) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", vector: [1, 2, 3])) == "dimension_mismatch")
            #expect(remember(RememberRequest(text: "ok", vector: [Float](repeating: .nan, count: 64))) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok", vector: [Float](repeating: 0, count: 64))) == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok"), namespace: "bad name!") == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok"), namespace: "") == "invalid_argument")
            #expect(remember(RememberRequest(text: "ok"), namespace: String(repeating: "n", count: 129)) == "invalid_argument")

            #expect(errorCode { _ = try h.engine.get(namespace: "ns", id: seed.entry.id + 100) } == "not_found")
            #expect(errorCode { _ = try h.engine.get(namespace: "missing", id: seed.entry.id) } == "namespace_not_found")
            #expect(errorCode { _ = try h.engine.edit(namespace: "ns", id: 999, EditRequest(text: "x")) } == "not_found")
            #expect(errorCode { _ = try h.engine.forget(namespace: "ns", id: 999) } == "not_found")
            #expect(errorCode { _ = try h.engine.feedback(namespace: "ns", id: 999, .useful) } == "not_found")
            #expect(errorCode { _ = try h.engine.list(namespace: "ns", limit: 0) } == "invalid_argument")
            #expect(errorCode { _ = try h.engine.audit(limit: 1_000_000) } == "invalid_argument")

            func search(_ request: SearchRequest, namespace: String = "ns") -> String? {
                errorCode { _ = try h.engine.search(namespace: namespace, request) }
            }
            #expect(search(SearchRequest(text: "q", k: 0)) == "invalid_argument")
            #expect(search(SearchRequest(text: "q", k: 1001)) == "invalid_argument")
            #expect(search(SearchRequest(text: "q", ef: 0)) == "invalid_argument")
            #expect(search(SearchRequest(text: "q", vector: [Float](repeating: 1, count: 64))) == "invalid_argument")
            #expect(search(SearchRequest()) == "invalid_argument")
            #expect(search(SearchRequest(text: "")) == "invalid_argument")
            #expect(search(SearchRequest(vector: [1, 2])) == "dimension_mismatch")
            #expect(search(SearchRequest(vector: [Float](repeating: .infinity, count: 64))) == "invalid_argument")
            #expect(search(SearchRequest(text: "q", filter: SearchFilter(minConfidence: 2))) == "invalid_argument")
            #expect(search(SearchRequest(text: "q", filter: SearchFilter(created: TimeRange(from: h.clock.now, to: .distantPast))))
                    == "invalid_argument")
            #expect(search(SearchRequest(text: "q", rank: RankOptions(similarity: -1))) == "invalid_argument")
            #expect(search(SearchRequest(text: "q", rank: RankOptions(recencyHalfLife: 0))) == "invalid_argument")
            #expect(search(SearchRequest(text: "q"), namespace: "missing") == "namespace_not_found")

            #expect(try h.store.lastSequence == before)
            #expect(h.store.namespaces().map(\.config.name) == ["ns"])
        }
    }

    @Test func configurationIsValidated() throws {
        var configuration = EngineConfiguration()
        configuration.learnSimilarityThreshold = 1.5
        #expect(errorCode { _ = try withEngine(configuration: configuration) { _ in } } == "invalid_argument")
        configuration = EngineConfiguration()
        configuration.defaultK = 5000
        #expect(errorCode { _ = try withEngine(configuration: configuration) { _ in } } == "invalid_argument")
    }

    @Test func listPaginatesInCreationOrder() throws {
        try withEngine { h in
            let ids = try (0..<7).map { try h.engine.remember(RememberRequest(text: "fact number \($0)"), namespace: "ns").entry.id }
            var seen: [UInt64] = []
            var cursor: UInt64 = 0
            var pages = 0
            while true {
                let page = try h.engine.list(namespace: "ns", after: cursor, limit: 3)
                seen += page.entries.map(\.id)
                pages += 1
                guard let next = page.nextCursor else { break }
                cursor = next
            }
            #expect(seen == ids && pages == 3)
        }
    }
}
