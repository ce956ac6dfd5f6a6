import EngramTestSupport
import Foundation
import MemoryEngine
import MemoryStore
import Testing

@Suite struct BatchAndRestartTests {
    @Test func rememberBatchWritesAllInOneTransaction() throws {
        try withEngine { h in
            let outcomes = try h.engine.rememberBatch([
                RememberRequest(text: "first batch fact", tags: ["a"]),
                RememberRequest(text: "second batch fact", vector: WordHashEmbedder.hashing64.vector("completely different words")),
                RememberRequest(text: "third batch fact", tags: ["a", "a"]),
            ], namespace: "bulk")
            #expect(outcomes.count == 3)
            #expect(outcomes.map(\.sequence) == [outcomes[0].sequence, outcomes[0].sequence + 1, outcomes[0].sequence + 2])
            #expect(outcomes.map(\.entry.id) == [outcomes[0].entry.id, outcomes[0].entry.id + 1, outcomes[0].entry.id + 2])
            #expect(outcomes[2].entry.tags == ["a"])
            let byText = try h.engine.search(namespace: "bulk", SearchRequest(text: "completely different words", k: 1))
            #expect(byText.first?.entry.id == outcomes[1].entry.id)
            let tagged = try h.engine.search(namespace: "bulk", SearchRequest(text: "fact", k: 10, filter: SearchFilter(tagsAll: ["a"])))
            #expect(Set(tagged.map(\.entry.id)) == [outcomes[0].entry.id, outcomes[2].entry.id])

            let before = try h.store.lastSequence
            let error = engineError {
                _ = try h.engine.rememberBatch([RememberRequest(text: "fine"), RememberRequest(text: "")], namespace: "bulk")
            }
            #expect(error?.code == "invalid_argument")
            #expect(error?.message.hasPrefix("item 1:") == true)
            #expect(try h.store.lastSequence == before)
            #expect(try h.engine.rememberBatch([], namespace: "bulk").isEmpty)
        }
    }

    @Test func aNewEngineOverAnExistingStoreLoadsItsFiltersLazily() throws {
        try withEngine { h in
            let soon = h.clock.now.addingTimeInterval(30)
            let tagged = try h.engine.remember(RememberRequest(text: "tagged fact", tags: ["keep"]), namespace: "n")
            _ = try h.engine.remember(RememberRequest(text: "untagged fact"), namespace: "n")
            let expiring = try h.engine.remember(RememberRequest(text: "expiring fact", tags: ["keep"], expiresAt: soon), namespace: "n")
            let clock = h.clock
            let restarted = try MemoryEngine(store: h.store, embedder: WordHashEmbedder.hashing64, clock: { clock.now })
            let filtered = try restarted.search(namespace: "n", SearchRequest(text: "fact", k: 10, filter: SearchFilter(tagsAny: ["keep"])))
            #expect(Set(filtered.map(\.entry.id)) == [tagged.entry.id, expiring.entry.id])
            h.clock.advance(by: 60)
            try restarted.warmUp()
            let later = try restarted.search(namespace: "n", SearchRequest(text: "expiring fact", k: 10))
            #expect(!later.contains { $0.entry.id == expiring.entry.id } && later.count == 2)
            #expect(try restarted.purgeExpired().purged == 1)
        }
    }

    @Test func creatingAnExistingNamespaceAgainKeepsItsFilters() throws {
        try withEngine { h in
            let tagged = try h.engine.remember(RememberRequest(text: "tagged fact", tags: ["keep"]), namespace: "n")
            _ = try h.engine.remember(RememberRequest(text: "untagged fact"), namespace: "n")
            let clock = h.clock
            let restarted = try MemoryEngine(store: h.store, embedder: WordHashEmbedder.hashing64, clock: { clock.now })
            // The idempotent create comes before the first search loaded the namespace's facts.
            _ = try restarted.createNamespace("n", NamespaceRequest(dimension: WordHashEmbedder.hashing64.dimension))
            let filtered = try restarted.search(namespace: "n", SearchRequest(text: "fact", k: 10, filter: SearchFilter(tagsAny: ["keep"])))
            #expect(filtered.map(\.entry.id) == [tagged.entry.id])
        }
    }
}
