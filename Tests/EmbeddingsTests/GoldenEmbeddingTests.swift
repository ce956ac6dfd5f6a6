import Foundation
import Testing
@testable import Embeddings

@Suite("Golden embeddings")
struct GoldenEmbeddingTests {
    static let tolerance: Float = 1e-5

    @Test("all 288 fixture texts embed within 1e-5 of the reference, as one batch")
    func fixtureEmbeddings() throws {
        let embedder = try TestSupport.requireEmbedder()
        let cases = TestSupport.goldenCases
        try #require(cases.count == 288)
        let start = ContinuousClock.now
        let vectors = try embedder.embed(cases.map(\.text))
        let elapsed = ContinuousClock.now - start
        #expect(vectors.count == cases.count)
        var worst: Float = 0
        for (index, (vector, golden)) in zip(vectors, cases).enumerated() {
            #expect(vector.count == 384)
            let difference = TestSupport.maxAbsDifference(vector, golden.embedding)
            worst = max(worst, difference)
            #expect(difference <= Self.tolerance, "case \(index) \(String(reflecting: golden.text.prefix(40))): max abs diff \(difference)")
        }
        print("golden embeddings: 288 texts in \(elapsed), worst max abs diff \(worst)")
    }

    @Test("a text embeds the same alone as in a packed batch")
    func batchingDoesNotChangeResults() throws {
        let embedder = try TestSupport.requireEmbedder()
        let cases = TestSupport.goldenCases
        let picks = [0, 5, 21, 100, 150, 287].filter { $0 < cases.count }
        let together = try embedder.embed(picks.map { cases[$0].text })
        for (offset, index) in picks.enumerated() {
            let alone = try embedder.embed(cases[index].text)
            #expect(TestSupport.maxAbsDifference(alone, together[offset]) <= 1e-6)
            #expect(TestSupport.maxAbsDifference(alone, cases[index].embedding) <= Self.tolerance)
        }
    }
}
