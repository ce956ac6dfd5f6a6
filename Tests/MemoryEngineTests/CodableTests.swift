import Foundation
import MemoryEngine
import MemoryStore
import Testing

/// The engine's configuration decodes what a config file sends, every optional field defaulted;
/// ranking options take the configured weights where they give none. (The requests' JSON is
/// EngramAPI's, tested there.)
@Suite struct CodableTests {
    @Test func rankOptionsTakeTheConfiguredDefaults() {
        let rank = RankOptions(confidence: 0.5)
        #expect(rank.resolved(with: RankWeights()) == RankWeights(similarity: 1, confidence: 0.5, recency: 0.1))
    }

    @Test func configurationDecodesPartially() throws {
        let json = #"{"learn_similarity_threshold":0.8,"confidence":{"prior_strength":4},"ranking":{"recency":0.5}}"#
        let configuration = try JSONDecoder().decode(EngineConfiguration.self, from: Data(json.utf8))
        var expected = EngineConfiguration()
        expected.learnSimilarityThreshold = 0.8
        expected.confidence.priorStrength = 4
        expected.ranking.recency = 0.5
        #expect(configuration == expected)
        let roundTrip = try JSONDecoder().decode(EngineConfiguration.self, from: JSONEncoder().encode(configuration))
        #expect(roundTrip == configuration)
    }
}
