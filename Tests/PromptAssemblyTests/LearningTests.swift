import Foundation
import MemoryClient
import Testing
@testable import PromptAssembly

@Suite struct LearningTests {
    static func enable(_ configuration: inout PromptConfiguration) {
        configuration.learningEnabled = true
        configuration.learningInitialConfidence = 0.4
    }

    /// After an answer the extracted facts are stored with the extraction source and the
    /// configured confidence; the same facts again reinforce the entries instead of adding more.
    @Test func extractedFactsAreLearnedAndDuplicatesReinforced() async throws {
        try await withStack(configure: Self.enable) { stack in
            stack.upstream.setExtractionReply(#"["The user's office is in Berlin.", "The user prefers tea over coffee."]"#)
            let body = ChatProxyTests.chatBody("I moved to our Berlin office and I'd like tea")
            let first = try await stack.prompt.post("/v1/chat/completions", body, headers: [("X-Engram-Namespace", "learn")])
            #expect(first.status == 200)
            await stack.runtime.learning.waitUntilIdle()

            let extraction = try #require(stack.upstream.extractions.first)
            let prompt = try #require(extraction.messages.last?["content"] as? String)
            #expect(prompt.contains("User: I moved to our Berlin office and I'd like tea"))
            #expect(prompt.contains("Assistant: \(FakeUpstream.answer)"))
            #expect(extraction.json["model"] as? String == "test-model")

            let entries = try await stack.memory.list(in: "learn").entries
            #expect(Set(entries.map(\.text)) == ["The user's office is in Berlin.", "The user prefers tea over coffee."])
            #expect(entries.allSatisfy { $0.source == "extraction:test-model" && abs($0.confidence - 0.4) < 1e-9 })
            #expect(entries.allSatisfy { $0.evidence.support == 1 })

            _ = try await stack.prompt.post("/v1/chat/completions", body, headers: [("X-Engram-Namespace", "learn")])
            await stack.runtime.learning.waitUntilIdle()
            let again = try await stack.memory.list(in: "learn").entries
            #expect(again.count == 2)
            #expect(again.allSatisfy { $0.evidence.support == 2 && $0.confidence > 0.4 })
            let metrics = try await stack.prompt.get("/metrics").text
            #expect(metrics.contains(#"engram_prompt_facts_learned_total{action="created"} 2"#))
            #expect(metrics.contains(#"engram_prompt_facts_learned_total{action="reinforced"} 2"#))
        }
    }

    /// Malformed extraction output stores nothing, fails nothing, and is counted.
    @Test func malformedExtractionIsCountedNotFatal() async throws {
        try await withStack(configure: Self.enable) { stack in
            stack.upstream.setExtractionReply("Sure! Here are the facts: the user likes tea.")
            let response = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("I like tea"))
            #expect(response.status == 200)
            await stack.runtime.learning.waitUntilIdle()
            stack.upstream.setExtractionReply(#"{"facts": ["The user likes tea.", 42]}"#)
            _ = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("I like tea"))
            await stack.runtime.learning.waitUntilIdle()

            let metrics = try await stack.prompt.get("/metrics").text
            #expect(metrics.contains(#"engram_prompt_extraction_failures_total{reason="malformed_json"} 1"#))
            #expect(metrics.contains(#"engram_prompt_extraction_failures_total{reason="invalid_item"} 1"#))
            // The valid fact of the second answer was still stored.
            #expect(try await stack.memory.list(in: "default").entries.map(\.text) == ["The user likes tea."])
            #expect(stack.upstream.extractions.count == 2)
        }
    }

    /// A streamed answer is learned from too: its text is collected from the events.
    @Test func streamedAnswersAreLearned() async throws {
        try await withStack(configure: Self.enable) { stack in
            stack.upstream.setExtractionReply(#"["Refunds take five business days."]"#)
            let response = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("refund time?", stream: true))
            #expect(response.status == 200)
            await stack.runtime.learning.waitUntilIdle()
            let prompt = try #require(stack.upstream.extractions.first?.messages.last?["content"] as? String)
            #expect(prompt.contains("Assistant: \(FakeUpstream.answer)"))
            #expect(try await stack.memory.list(in: "default").entries.map(\.text) == ["Refunds take five business days."])
        }
    }

    /// With `learning.api = responses` the extraction goes to `/responses` with the prompt as
    /// `input` (no temperature), and its `output_text` is what is learned.
    @Test func extractionThroughTheResponsesAPI() async throws {
        try await withStack(configure: { Self.enable(&$0); $0.learningAPIName = "responses" }) { stack in
            stack.upstream.setExtractionReply(#"["The user drinks green tea."]"#)
            let response = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("I drink green tea"))
            #expect(response.status == 200)
            await stack.runtime.learning.waitUntilIdle()
            let extraction = try #require(stack.upstream.extractions.first)
            #expect(extraction.messages.isEmpty && extraction.json["temperature"] == nil && extraction.json["store"] as? Bool == false)
            #expect((extraction.json["input"] as? String)?.contains("User: I drink green tea") == true)
            #expect(try await stack.memory.list(in: "default").entries.map(\.text) == ["The user drinks green tea."])
        }
    }

    /// Learning is off by default: no extraction request is made.
    @Test func learningOffMakesNoExtraction() async throws {
        try await withStack { stack in
            _ = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("I like tea"))
            await stack.runtime.learning.waitUntilIdle()
            #expect(stack.upstream.extractions.isEmpty)
            #expect(stack.upstream.chats.count == 1)
        }
    }
}
