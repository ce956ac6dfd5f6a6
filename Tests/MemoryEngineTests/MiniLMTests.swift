import Foundation
import MemoryEngine
import MemoryStore
import Testing

/// The engine with the real all-MiniLM-L6-v2 embedder: learning recognises paraphrases.
@Suite struct MiniLMTests {
    @Test func learnReinforcesAParaphraseAndCreatesADifferentFact() throws {
        let embedder = try ModelLocation.requireEmbedder()
        // The default threshold (0.9): this paraphrase scores ≈ 0.95 under MiniLM.
        let configuration = EngineConfiguration()
        try withEngine(configuration: configuration, embedder: embedder) { h in
            let first = try h.engine.learn(RememberRequest(text: "The user prefers dark mode in the code editor."), namespace: "prefs")
            let paraphrase = try h.engine.learn(RememberRequest(text: "The user likes dark mode in their code editor."), namespace: "prefs")
            #expect(paraphrase.action == .reinforced && paraphrase.entry!.id == first.entry!.id)
            #expect(try #require(paraphrase.similarity) >= configuration.learnSimilarityThreshold)
            let other = try h.engine.learn(RememberRequest(text: "Production deploys run every Tuesday at 10am."), namespace: "prefs")
            #expect(other.action == .created)
            let hits = try h.engine.search(namespace: "prefs", SearchRequest(text: "which colour theme does the user want?", k: 2))
            #expect(hits.first?.entry.id == first.entry!.id)
            #expect(h.store.namespaceConfig("prefs")?.dimension == 384)
        }
    }
}
