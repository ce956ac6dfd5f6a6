import Foundation
import MemoryEngine
import MemoryStore
import Testing

@Suite struct SearchTests {
    /// Six entries with different tags, sources, confidences, metadata and times (one minute apart).
    func populate(_ h: Harness) throws -> [UInt64] {
        let requests = [
            RememberRequest(text: "apple pie recipe", tags: ["food", "dessert"], metadata: ["lang": .string("en")], source: "user",
                            confidence: 0.9),
            RememberRequest(text: "apple tart recipe", tags: ["food"], metadata: ["lang": .string("fr")], source: "agent",
                            confidence: 0.3),
            RememberRequest(text: "apple stock price", tags: ["finance"], metadata: ["lang": .string("en"), "n": .number(1)],
                            source: "import", confidence: 0.6),
            RememberRequest(text: "apple orchard visit", tags: ["travel", "food"], source: "extraction:gpt", confidence: 0.75),
            RememberRequest(text: "apple juice recipe", tags: ["food", "drink"], metadata: ["lang": .string("en")], source: "agent",
                            confidence: 0.5, pinned: true),
            RememberRequest(text: "apple laptop repair", tags: [], metadata: ["n": .number(1)], source: "user", confidence: 0.1),
        ]
        return try requests.map { request in
            h.clock.advance(by: 60)
            return try h.engine.remember(request, namespace: "n").entry.id
        }
    }

    func ids(_ h: Harness, _ filter: SearchFilter) throws -> Set<UInt64> {
        Set(try h.engine.search(namespace: "n", SearchRequest(text: "apple", k: 50, filter: filter)).map(\.entry.id))
    }

    @Test func eachFilterKindAdmitsExactlyTheMatchingEntries() throws {
        try withEngine { h in
            let e = try populate(h)
            let start = Date(timeIntervalSince1970: 1_750_000_000)
            #expect(try ids(h, SearchFilter()) == Set(e))
            #expect(try ids(h, SearchFilter(tagsAny: ["dessert", "finance"])) == [e[0], e[2]])
            #expect(try ids(h, SearchFilter(tagsAll: ["food", "drink"])) == [e[4]])
            #expect(try ids(h, SearchFilter(tagsAll: ["food"])) == [e[0], e[1], e[3], e[4]])
            #expect(try ids(h, SearchFilter(sources: ["agent"])) == [e[1], e[4]])
            #expect(try ids(h, SearchFilter(sources: ["user", "extraction:gpt"])) == [e[0], e[3], e[5]])
            #expect(try ids(h, SearchFilter(minConfidence: 0.6)) == [e[0], e[2], e[3]])
            #expect(try ids(h, SearchFilter(created: TimeRange(from: start.addingTimeInterval(120), to: start.addingTimeInterval(240))))
                    == [e[1], e[2], e[3]])
            #expect(try ids(h, SearchFilter(created: TimeRange(from: start.addingTimeInterval(300)))) == [e[4], e[5]])
            #expect(try ids(h, SearchFilter(metadata: ["lang": .string("en")])) == [e[0], e[2], e[4]])
            #expect(try ids(h, SearchFilter(metadata: ["lang": .string("en"), "n": .number(1)])) == [e[2]])
            #expect(try ids(h, SearchFilter(pinned: true)) == [e[4]])
            #expect(try ids(h, SearchFilter(tagsAny: ["food"], sources: ["agent"], minConfidence: 0.4)) == [e[4]])
            #expect(try ids(h, SearchFilter(tagsAny: ["nothing"])).isEmpty)

            // Updated range follows edits.
            h.clock.advance(by: 3600)
            let editTime = h.clock.now
            _ = try h.engine.edit(namespace: "n", id: e[2], EditRequest(tags: ["finance", "edited"]))
            #expect(try ids(h, SearchFilter(updated: TimeRange(from: editTime))) == [e[2]])
            #expect(try ids(h, SearchFilter(updated: TimeRange(to: editTime.addingTimeInterval(-1)))) == Set(e).subtracting([e[2]]))
            // Filters see edits at once (read your writes).
            #expect(try ids(h, SearchFilter(tagsAny: ["edited"])) == [e[2]])
            _ = try h.engine.forget(namespace: "n", id: e[0])
            #expect(try ids(h, SearchFilter(tagsAny: ["dessert"])).isEmpty)
        }
    }

    @Test func filtersStayExactInALargerNamespace() throws {
        try withEngine(storeOptions: MemoryStoreOptions(durability: .relaxed)) { h in
            // Past the index's flat threshold of 1024 the graph search with predicate is used.
            try h.engine.createNamespace("big", NamespaceRequest(dimension: 8))
            var expected: Set<UInt64> = []
            var state: UInt64 = 7
            for i in 0..<1500 {
                let vector = (0..<8).map { _ -> Float in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return Float(state >> 40) / Float(1 << 24) - 0.5
                }
                let tag = i % 100 == 0 ? "rare" : "common"
                let id = try h.engine.remember(RememberRequest(text: "item \(i)", vector: vector, tags: [tag]), namespace: "big").entry.id
                if tag == "rare" { expected.insert(id) }
            }
            let hits = try h.engine.search(namespace: "big", SearchRequest(vector: [Float](repeating: 0.3, count: 8), k: 100,
                                                                           filter: SearchFilter(tagsAny: ["rare"])))
            #expect(Set(hits.map(\.entry.id)) == expected)
            #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.distance! <= $1.distance! })
        }
    }

    @Test func rankingBlendsSimilarityConfidenceAndRecency() throws {
        try withEngine { h in
            try h.engine.createNamespace("r", NamespaceRequest(dimension: 2))
            let close = try h.engine.remember(RememberRequest(text: "close but doubtful", vector: [1, 0.1], confidence: 0.05), namespace: "r")
            h.clock.advance(by: 90 * 86_400)
            let sure = try h.engine.remember(RememberRequest(text: "a bit further, certain", vector: [1, 0.5], confidence: 1), namespace: "r")
            let query = SearchRequest(vector: [1, 0], k: 2)
            let plain = try h.engine.search(namespace: "r", query)
            #expect(plain.map(\.entry.id) == [close.entry.id, sure.entry.id])
            #expect(plain.allSatisfy { $0.score == $0.similarity })

            var byConfidence = query
            byConfidence.rank = RankOptions(similarity: 1, confidence: 1, recency: 0)
            let ranked = try h.engine.search(namespace: "r", byConfidence)
            #expect(ranked.map(\.entry.id) == [sure.entry.id, close.entry.id])
            let expectedScore = ranked[0].similarity! + 1.0
            #expect(abs(ranked[0].score - expectedScore) < 1e-9)

            var byRecency = query
            byRecency.rank = RankOptions(similarity: 1, confidence: 0, recency: 1, recencyHalfLife: 30 * 86_400)
            let recent = try h.engine.search(namespace: "r", byRecency)
            #expect(recent.map(\.entry.id) == [sure.entry.id, close.entry.id])
            // The older entry is three half-lives old: recency 1/8.
            let old = try #require(recent.first { $0.entry.id == close.entry.id })
            #expect(abs(old.score - (old.similarity! + 0.125)) < 1e-9)

            // Weights left out come from the configuration (1, 0.2, 0.1, 30 days).
            var byDefaults = query
            byDefaults.rank = RankOptions()
            let defaults = try h.engine.search(namespace: "r", byDefaults)
            let sureHit = try #require(defaults.first { $0.entry.id == sure.entry.id })
            let sureSimilarity = try #require(sureHit.similarity)
            #expect(abs(sureHit.score - (sureSimilarity + 0.3)) < 1e-9)
        }
    }

    @Test func searchesRunInParallelWithAWriterAndSeeEachWrite() async throws {
        try await withEngine { h in
            let engine = h.engine
            try engine.createNamespace("p")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for i in 0..<60 {
                        let text = "unique token w\(i)x"
                        let written = try engine.remember(RememberRequest(text: text, tags: ["t\(i % 3)"]), namespace: "p")
                        // The test embedder hashes words into 64 buckets, so another entry's
                        // vector may tie with this one; the written entry must be among the best.
                        let hits = try engine.search(namespace: "p", SearchRequest(text: text, k: 5, filter: SearchFilter(tagsAny: ["t\(i % 3)"])))
                        #expect(hits.contains { $0.entry.id == written.entry.id && ($0.similarity ?? 0) > 0.999 })
                    }
                }
                for reader in 0..<3 {
                    group.addTask {
                        for i in 0..<100 {
                            _ = try engine.search(namespace: "p", SearchRequest(text: "unique token w\(i % 60)x", k: 5,
                                                                                filter: SearchFilter(tagsAny: ["t\(reader)"])))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try engine.namespace("p").entryCount == 60)
        }
    }
}
