import EngramJSON
@testable import EngramAPI
import Foundation
import Testing

/// The request documents decode what a client sends, the way the daemon decodes them
/// (``RequestJSON/decode(_:from:)``): every optional member defaulted, unknown members refused.
@Suite("Request documents")
struct RequestDecodingTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws(APIError) -> T {
        try RequestJSON.decode(T.self, from: Array(json.utf8))
    }

    @Test("requests decode with their defaults")
    func defaults() throws {
        #expect(try Self.decode(Audited<RememberRequest>.self, #"{"text":"hi"}"#) == Audited(RememberRequest(text: "hi")))
        let body = try Self.decode(Audited<RememberRequest>.self,
            #"{"text":"hi","tags":["a"],"metadata":{"k":[1,"x",null]},"source":"agent","confidence":0.25,"pinned":true,"actor":"bot","reason":"told"}"#)
        let full = body.request
        #expect(full.tags == ["a"] && full.source == "agent" && full.confidence == 0.25 && full.pinned)
        #expect(full.metadata == ["k": .array([.number(1), .string("x"), .null])])
        #expect(body.actor == "bot" && body.reason == "told")
        #expect(throws: APIError.missingField("text")) { try Self.decode(Audited<RememberRequest>.self, #"{"tags":[]}"#) }

        let search = try Self.decode(SearchRequest.self,
            #"{"text":"q","k":3,"filter":{"tags_any":["a"],"source":["user"],"min_confidence":0.5,"metadata":{"lang":"en"}},"rank":{"confidence":0.5}}"#)
        #expect(search.k == 3 && search.filter?.tagsAny == ["a"] && search.filter?.sources == ["user"])
        #expect(search.filter?.minConfidence == 0.5 && search.filter?.metadata == ["lang": .string("en")])
        #expect(search.rank == RankOptions(confidence: 0.5))

        let namespace = try Self.decode(NamespaceRequest.self, #"{"dimension":8,"metric":"l2"}"#)
        #expect(namespace.dimension == 8 && namespace.metric == .l2 && namespace.parameters == nil)
        #expect(try Self.decode(FeedbackRequest.self, #"{"signal":"not_useful"}"#).signal == .notUseful)
    }

    @Test("unknown members are refused at any depth, with their path")
    func unknownMembers() {
        #expect(throws: APIError.unknownField("tagz")) { try Self.decode(Audited<RememberRequest>.self, #"{"text":"t","tagz":[]}"#) }
        #expect(throws: APIError.unknownField("clear_expiry")) {
            try Self.decode(Audited<RememberRequest>.self, #"{"text":"t","clear_expiry":true}"#)
        }
        #expect(throws: APIError.unknownField("filter.tags")) {
            try Self.decode(SearchRequest.self, #"{"text":"t","filter":{"tags":["a"]}}"#)
        }
        #expect(throws: APIError.unknownField("filter.created.since")) {
            try Self.decode(SearchRequest.self, #"{"text":"t","filter":{"created":{"since":"2026-01-01T00:00:00Z"}}}"#)
        }
        #expect(throws: APIError.unknownField("parameters.efc")) {
            try Self.decode(NamespaceRequest.self, #"{"parameters":{"efc":10}}"#)
        }
        #expect(throws: APIError.unknownField("entries[0].evidence.support_count")) {
            try Self.decode(ImportRequest.self,
                            #"{"namespace":"kb","entries":[{"id":1,"text":"t","vector_b64":"AACAPw==","evidence":{"support_count":1}}]}"#)
        }
    }

    @Test("what the client encodes, the daemon decodes to the same request")
    func roundTrip() throws {
        let date = Date(timeIntervalSinceReferenceDate: 812_345_678.125)
        let edit = Audited(EditRequest(text: "t", vector: [0.5, 1], tags: ["a"], metadata: ["n": .number(1)], source: "s",
                                       confidence: 0.5, pinned: true, expiresAt: date, clearExpiry: false),
                           actor: "bot", reason: "r")
        #expect(try RequestJSON.decode(Audited<EditRequest>.self, from: [UInt8](WireJSON.encoder().encode(edit))) == edit)
        let exported = ExportedEntry(id: 9, namespace: "kb", text: "t", createdAt: date, vector: [0.5, -2])
        let decoded = try RequestJSON.decode(ExportedEntry.self, from: [UInt8](WireJSON.encoder().encode(exported)))
        #expect(decoded == exported)
    }
}
