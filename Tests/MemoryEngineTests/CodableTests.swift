import Foundation
import MemoryEngine
import MemoryStore
import Testing

/// The request and configuration models decode what a server or a config file sends, with
/// every optional field defaulted.
@Suite struct CodableTests {
    @Test func requestsDecodeWithDefaults() throws {
        let decoder = JSONDecoder()
        let remember = try decoder.decode(RememberRequest.self, from: Data(#"{"text":"hi"}"#.utf8))
        #expect(remember == RememberRequest(text: "hi"))
        let full = try decoder.decode(RememberRequest.self, from: Data(
            #"{"text":"hi","tags":["a"],"metadata":{"k":[1,"x",null]},"source":"agent","confidence":0.25,"pinned":true,"vector":[1,2]}"#.utf8))
        #expect(full.tags == ["a"] && full.source == "agent" && full.confidence == 0.25 && full.pinned && full.vector == [1, 2])
        #expect(full.metadata == ["k": .array([.number(1), .string("x"), .null])])
        #expect(throws: DecodingError.self) { try decoder.decode(RememberRequest.self, from: Data(#"{"tags":[]}"#.utf8)) }

        let search = try decoder.decode(SearchRequest.self, from: Data(
            #"{"text":"q","k":3,"filter":{"tags_any":["a"],"source":["user"],"min_confidence":0.5,"metadata":{"lang":"en"}},"rank":{"confidence":0.5}}"#.utf8))
        #expect(search.k == 3 && search.filter?.tagsAny == ["a"] && search.filter?.sources == ["user"])
        #expect(search.filter?.minConfidence == 0.5 && search.filter?.metadata == ["lang": .string("en")])
        #expect(search.rank == RankOptions(confidence: 0.5))
        #expect(search.rank?.resolved(with: RankWeights()) == RankWeights(similarity: 1, confidence: 0.5, recency: 0.1))

        let namespace = try decoder.decode(NamespaceRequest.self, from: Data(#"{"dimension":8,"metric":"l2"}"#.utf8))
        #expect(namespace.dimension == 8 && namespace.metric == .l2)
        #expect(try decoder.decode(FeedbackSignal.self, from: Data(#""not_useful""#.utf8)) == .notUseful)
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
