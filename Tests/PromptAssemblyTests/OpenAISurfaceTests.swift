import Foundation
import Testing
@testable import PromptAssembly

/// `/v1/embeddings` and `/v1/models` as an OpenAI SDK calls them.
@Suite struct OpenAISurfaceTests {
    @Test func embeddingsComeFromTheDaemonsModelInOpenAIsFormat() async throws {
        try await withStack { stack in
            let single = try await stack.prompt.post("/v1/embeddings", json(["input": "refunds take five days", "model": "any"]))
            #expect(single.status == 200, "\(single.text)")
            let data = try #require(single.json["data"] as? [[String: Any]])
            let vector = try #require(data.first?["embedding"] as? [Double])
            let direct = try await stack.memory.embed(["refunds take five days"])
            #expect(data.count == 1 && data.first?["index"] as? Int == 0 && data.first?["object"] as? String == "embedding")
            #expect(vector.count == direct.dimension && zip(vector, direct.vectors[0]).allSatisfy { abs($0 - Double($1)) < 1e-6 })
            #expect(single.json["model"] as? String == direct.model && single.json["object"] as? String == "list")
            let usage = try #require(single.json["usage"] as? [String: Int])
            #expect(usage["prompt_tokens"] == usage["total_tokens"] && (usage["prompt_tokens"] ?? 0) > 0)

            let batch = try await stack.prompt.post("/v1/embeddings", json(["input": ["a", "b c"], "encoding_format": "base64"]))
            let items = try #require(batch.json["data"] as? [[String: Any]])
            #expect(items.map { $0["index"] as? Int } == [0, 1])
            let encoded = try #require(items[1]["embedding"] as? String)
            let bytes = try #require(Data(base64Encoded: encoded))
            let floats = stride(from: 0, to: bytes.count, by: 4).map { offset in
                Float(bitPattern: UInt32(littleEndian: bytes[offset..<offset + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
            }
            #expect(floats == (try await stack.memory.embed(["b c"])).vectors[0])

            // More texts than one daemon call takes: every one answered, in order.
            let many = (0..<130).map { "text number \($0)" }
            let large = try await stack.prompt.post("/v1/embeddings", json(["input": many]))
            let indexes = (large.json["data"] as? [[String: Any]])?.compactMap { $0["index"] as? Int }
            #expect(large.status == 200 && indexes == Array(0..<130))
            let last = try #require((large.json["data"] as? [[String: Any]])?.last?["embedding"] as? [Double])
            #expect(zip(last, try await stack.memory.embed(["text number 129"]).vectors[0]).allSatisfy { abs($0 - Double($1)) < 1e-6 })

            for (body, field) in [(json(["input": [1, 2, 3]]), "input"), (json(["input": []]), "input"),
                                  (json(["input": "x", "encoding_format": "int8"]), "encoding_format"),
                                  (json(["input": "x", "dimensions": 7]), "dimensions"), ("[1]", "body")] {
                let refused = try await stack.prompt.post("/v1/embeddings", body)
                #expect(refused.status == 400 && refused.text.contains(field), "\(body): \(refused.text)")
            }
        }
    }

    @Test func modelsListTheUpstreamsAndTheLocalEmbeddingModel() async throws {
        try await withStack { stack in
            let withKey = try await stack.prompt.send("GET", "/v1/models", headers: [("Authorization", "Bearer sk-client")])
            let ids = (withKey.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            let local = try await stack.memory.embed(["x"]).model
            #expect(withKey.status == 200 && ids == ["test-model", local], "\(withKey.text)")
            #expect(withKey.headers["x-engram-upstream-models"] == "ok")
            // The upstream refuses a call without a key: the local model is still listed.
            let withoutKey = try await stack.prompt.get("/v1/models")
            #expect((withoutKey.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [local])
            #expect(withoutKey.headers["x-engram-upstream-models"] == "401")
        }
    }
}
