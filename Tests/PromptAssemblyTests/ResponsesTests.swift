import Foundation
import Testing
@testable import PromptAssembly

/// `/v1/responses` with memory and learning; `/v1/completions` passed through.
@Suite struct ResponsesTests {
    @Test func responsesGetMemoriesInTheirInstructionsAndAreLearnedFrom() async throws {
        try await withStack(configure: LearningTests.enable) { stack in
            let refunds = try await stack.remember("Refunds are processed within five business days", in: "default")
            stack.upstream.setExtractionReply(#"["Refunds are paid to the original card."]"#)
            let response = try await stack.prompt.post("/v1/responses", json([
                "model": "test-model", "instructions": "Be brief.",
                "input": [["role": "user", "content": [["type": "input_text", "text": "how many days until a refund?"]]]],
                "tools": [["type": "function", "name": "lookup"]],
            ]))
            #expect(response.status == 200, "\(response.text)")
            #expect(response.headers["x-engram-memories"] == String(refunds) && response.headers["x-engram-learning"] == "queued")
            #expect(response.headers["x-request-id"] == "req-fake-responses")
            #expect((response.json["output"] as? [[String: Any]])?.count == 1)
            let sent = try #require(stack.upstream.all.first { $0.json["input"] != nil }?.json)
            let instructions = try #require(sent["instructions"] as? String)
            #expect(instructions.contains("[#\(refunds)]") && instructions.hasSuffix("\n\nBe brief."))
            #expect((sent["tools"] as? [[String: Any]])?.first?["name"] as? String == "lookup")
            await stack.runtime.learning.waitUntilIdle()
            let prompt = try #require(stack.upstream.extractions.first?.messages.last?["content"] as? String)
            #expect(prompt.contains("Assistant: \(FakeUpstream.answer)") && prompt.contains("User: how many days until a refund?"))
            #expect(try await stack.memory.list(in: "default").entries.contains { $0.text == "Refunds are paid to the original card." })

            let streamed = try await stack.prompt.post("/v1/responses", json(["model": "test-model", "input": "refund time?", "stream": true]))
            #expect(streamed.status == 200 && streamed.text.contains("response.output_text.delta"))
            #expect(streamed.headers["x-engram-learning"] == "queued")
            await stack.runtime.learning.waitUntilIdle()
            #expect(stack.upstream.extractions.count == 2)
            let second = try #require(stack.upstream.extractions.last?.messages.last?["content"] as? String)
            #expect(second.contains("Assistant: \(FakeUpstream.streamPieces.joined())"))

            // Without `input` (a stored prompt), nothing is searched and the request goes on.
            let noInput = try await stack.prompt.post("/v1/responses", json(["model": "m", "prompt": ["id": "pmpt_1"]]))
            #expect(noInput.status == 200 && noInput.headers["x-engram-memories"] == "")
            #expect(noInput.headers["x-engram-learning"] == "skipped:no_user_message")
            let badConversation = try await stack.prompt.post("/v1/responses", json(["model": "m", "input": "hi"]),
                                                              headers: [("X-Engram-Conversation", "a\tb")])
            #expect(badConversation.status == 400 && badConversation.text.contains("X-Engram-Conversation"))
        }
    }

    @Test func legacyCompletionsPassThrough() async throws {
        try await withStack { stack in
            let body = json(["model": "test-model", "prompt": "hello"])
            let response = try await stack.prompt.post("/v1/completions", body, headers: [("Authorization", "Bearer sk-c")])
            #expect(response.status == 200 && (response.json["choices"] as? [[String: Any]])?.first?["text"] as? String == " world")
            #expect(stack.upstream.all.last?.json["prompt"] as? String == "hello")
            #expect(stack.upstream.all.last?.authorization == "Bearer sk-c")
        }
    }
}
