import Foundation
import MemoryStore
import Testing
@testable import MemoryEngine

/// Search modes: lexical, hybrid and their fusion, with filters and the namespace defaults.
@Suite struct HybridSearchTests {
    static let texts = [
        "Caroline went to the LGBTQ support group on Tuesday",
        "Melanie painted a lake at sunrise",
        "Caroline is researching adoption agencies",
        "The weather was sunny and warm",
        "Melanie's kids love the zebra at the zoo",
    ]

    func fill(_ h: Harness, namespace: String = "c", tags: (Int) -> [String] = { _ in [] }) throws -> [UInt64] {
        try Self.texts.enumerated().map { index, text in
            try h.engine.remember(RememberRequest(text: text, tags: tags(index)), namespace: namespace).entry.id
        }
    }

    @Test func lexicalModeMatchesWordsWithoutAnEmbedding() throws {
        try withEngine { h in
            let ids = try fill(h)
            let hits = try h.engine.search(namespace: "c", SearchRequest(text: "adopting from agencies", k: 3, mode: .lexical))
            #expect(hits.map(\.entry.id) == [ids[2]])  // stemming: adopting ~ adoption, agencies ~ agency
            let hit = try #require(hits.first)
            #expect(hit.distance == nil && hit.similarity == nil)
            #expect(hit.components == ScoreComponents(lexical: hit.score))
            #expect(hit.score > 0)
            // A query of stop words only matches nothing.
            #expect(try h.engine.search(namespace: "c", SearchRequest(text: "the and of", mode: .lexical)).isEmpty)
        }
    }

    @Test func hybridHitsCarryEveryComponentAndFollowTheWeights() throws {
        try withEngine { h in
            _ = try fill(h)
            let query = SearchRequest(text: "Caroline adoption", k: 5)  // the namespace default: hybrid
            let hits = try h.engine.search(namespace: "c", query)
            #expect(hits.count == 5)
            for hit in hits {
                let components = try #require(hit.components)
                #expect(components.vector == hit.similarity && components.fused == hit.score)
                #expect(components.lexical != nil)
                #expect((0...1).contains(hit.score))  // blend: a weighted mean of values in 0…1
            }
            #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
            // Weight 0 on one side leaves the other side's order.
            var vectorOnly = query
            vectorOnly.fusion = FusionOptions(lexicalWeight: 0)
            let byVector = try h.engine.search(namespace: "c", vectorOnly)
            var plainVector = query
            plainVector.mode = .vector
            #expect(byVector.map(\.entry.id) == (try h.engine.search(namespace: "c", plainVector)).map(\.entry.id))
            var lexicalOnly = query
            lexicalOnly.fusion = FusionOptions(vectorWeight: 0)
            let byLexical = try h.engine.search(namespace: "c", lexicalOnly)
            var plainLexical = query
            plainLexical.mode = .lexical
            let lexicalIDs = try h.engine.search(namespace: "c", plainLexical).map(\.entry.id)
            #expect(Array(byLexical.map(\.entry.id).prefix(lexicalIDs.count)) == lexicalIDs)
            // RRF scores are sums of weight / (rrf_k + rank).
            var rrf = query
            rrf.fusion = FusionOptions(method: .rrf, rrfK: 10)
            let fused = try h.engine.search(namespace: "c", rrf)
            #expect(fused.allSatisfy { $0.score <= 2.0 / 11 + 1e-12 && $0.score > 0 })
        }
    }

    @Test func filtersApplyInEveryMode() throws {
        try withEngine { h in
            let ids = try fill(h, tags: { $0 % 2 == 0 ? ["even"] : ["odd"] })
            for mode in SearchMode.allCases {
                let hits = try h.engine.search(namespace: "c", SearchRequest(text: "Caroline Melanie", k: 5,
                                                                             filter: SearchFilter(tagsAny: ["odd"]), mode: mode))
                #expect(!hits.isEmpty, "\(mode)")
                #expect(Set(hits.map(\.entry.id)).isSubset(of: [ids[1], ids[3]]), "\(mode)")
            }
        }
    }

    @Test func modesAndFusionAreChecked() throws {
        try withEngine { h in
            _ = try fill(h)
            #expect(errorCode { _ = try h.engine.search(namespace: "c", SearchRequest(vector: [Float](repeating: 1, count: 64), mode: .lexical)) }
                    == "invalid_argument")
            #expect(errorCode { _ = try h.engine.search(namespace: "c", SearchRequest(text: "x", fusion: FusionOptions(candidates: 0))) }
                    == "invalid_argument")
            #expect(errorCode { _ = try h.engine.search(namespace: "c", SearchRequest(text: "x", fusion: FusionOptions(vectorWeight: 0, lexicalWeight: 0))) }
                    == "invalid_argument")
            #expect(errorCode { try h.engine.createNamespace("bad", NamespaceRequest(lexical: LexicalOptions(b: 2))) } == "invalid_argument")
        }
    }

    @Test func theNamespaceDefaultModeApplies() throws {
        try withEngine { h in
            try h.engine.createNamespace("v", NamespaceRequest(search: SearchDefaults(mode: .vector)))
            _ = try fill(h, namespace: "v")
            let hits = try h.engine.search(namespace: "v", SearchRequest(text: "zebra"))
            #expect(hits.allSatisfy { $0.components == ScoreComponents(vector: $0.similarity) })
            #expect(try h.engine.namespace("v").search.mode == .vector)
        }
    }

    @Test func blendNormalisesAndRRFUsesRanks() {
        func candidate(_ similarity: Double, _ lexical: Double, _ v: Int?, _ l: Int?) -> FusionCandidate {
            FusionCandidate(entry: MemoryEntry(id: 1, namespace: "n", slot: 0, draft: MemoryDraft(text: "x")),
                            distance: Float(1 - similarity), similarity: similarity, lexical: lexical, vectorRank: v, lexicalRank: l)
        }
        let candidates = [candidate(0.9, 0, 1, nil), candidate(0.5, 10, 2, 1), candidate(0.7, 5, nil, 2)]
        let blend = Fusion.fuse(candidates, settings: SearchDefaults(fusion: .blend))
        // v̂ = 1, 0, 0.5; l̂ = 0, 1, 0.5; equal weights.
        func close(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-12 } }
        #expect(close(blend, [0.5, 0.5, 0.5]))
        let tilted = Fusion.fuse(candidates, settings: SearchDefaults(fusion: .blend, vectorWeight: 3, lexicalWeight: 1))
        #expect(close(tilted, [0.75, 0.25, 0.5]))
        let rrf = Fusion.fuse(candidates, settings: SearchDefaults(fusion: .rrf, rrfK: 60))
        #expect(rrf == [1.0 / 61, 1.0 / 62 + 1.0 / 61, 1.0 / 62])
        #expect(Fusion.normalized([2, 2]) == [1, 1])
        #expect(Fusion.normalized([0, 0]) == [0, 0])
    }
}
