import Foundation
import Testing
@testable import PromptAssembly

/// The conversation around the last user message: in the search, in the extraction prompt, in
/// the learned facts' provenance, and in the choice of namespace.
@Suite struct ConversationTests {
    static func conversation(_ turns: [(String, String)], user: String? = nil) -> String {
        var object: [String: Any] = ["model": "test-model", "messages": turns.map { ["role": $0.0, "content": $0.1] }]
        if let user { object["user"] = user }
        return json(object)
    }

    static let followUp = conversation([
        ("user", "how long do refunds take?"), ("assistant", "Refunds take 30 days."),
        ("user", "And does that also apply in the EU?"),
    ])

    /// A follow-up is searched with the turns before it: the refund memory is found, where the
    /// last message alone finds only the memories that share its words. The last message's
    /// own matches keep their places (two of three).
    @Test func aFollowUpIsSearchedWithItsSubject() async throws {
        for (turns, expectRefunds) in [(4, true), (0, false)] {
            try await withStack(configure: { $0.chatContextTurns = turns; $0.k = 3 }) { stack in
                let refunds = try await stack.remember("Refunds take 30 days", in: "default")
                var european: [UInt64] = []
                for text in ["Apply the EU discount code at checkout", "In the EU VAT is included",
                             "Orders in the EU ship from Dublin"] {
                    european.append(try await stack.remember(text, in: "default"))
                }
                let response = try await stack.prompt.post("/v1/chat/completions", Self.followUp)
                #expect(response.status == 200)
                let used = (response.headers["x-engram-memories"] ?? "").split(separator: ",").compactMap { UInt64($0) }
                #expect(used.count == 3)
                #expect(used.contains(refunds) == expectRefunds, "turns \(turns): \(used)")
                #expect(used.filter(european.contains).count == (expectRefunds ? 2 : 3), "turns \(turns): \(used)")
            }
        }
    }

    /// The merge of the two rankings: two of the last message's, one of the conversation's,
    /// each memory once, at most k; a ranking that runs out leaves its places to the other.
    @Test func rankingsAreInterleavedTwoToOne() {
        func memories(_ ids: [UInt64]) -> [RetrievedMemory] {
            ids.map { RetrievedMemory(id: $0, score: 1, confidence: 0.5, createdAt: Date(timeIntervalSince1970: 0), text: "m\($0)") }
        }
        let merged = PromptAssembler.interleave(memories([1, 2, 3, 4]), memories([2, 9, 8]), k: 6).map(\.id)
        #expect(merged == [1, 2, 3, 4, 9, 8])
        #expect(PromptAssembler.interleave(memories([1, 2, 3]), memories([7, 8]), k: 4).map(\.id) == [1, 2, 7, 3])
        #expect(PromptAssembler.interleave(memories([]), memories([7, 8]), k: 4).map(\.id) == [7, 8])
        #expect(PromptAssembler.interleave(memories([1, 2, 3]), memories([]), k: 2).map(\.id) == [1, 2])
        #expect(PromptAssembler.interleave(memories([1]), memories([1]), k: 5).map(\.id) == [1])
    }

    /// The extraction sees the earlier turns; each learned fact records when the exchange
    /// happened, the conversation (as its thread), the end user and the model.
    @Test func learnedFactsCarryTheirProvenance() async throws {
        try await withStack(configure: LearningTests.enable) { stack in
            stack.upstream.setExtractionReply(#"["Refunds in the EU also take 30 days."]"#)
            let before = Date()
            let response = try await stack.prompt.post("/v1/chat/completions", Self.followUp,
                                                       headers: [("X-Engram-Conversation", "conv-42"), ("X-Engram-User", "alice")])
            #expect(response.status == 200)
            await stack.runtime.learning.waitUntilIdle()
            let prompt = try #require(stack.upstream.extractions.first?.messages.last?["content"] as? String)
            #expect(prompt.contains("Earlier in the conversation"))
            #expect(prompt.contains("User: how long do refunds take?\nAssistant: Refunds take 30 days."))
            #expect(prompt.contains("User: And does that also apply in the EU?"))
            let fact = try #require(try await stack.memory.list(in: "default").entries.first)
            #expect(fact.thread == "conv-42")
            #expect(fact.metadata["conversation"] == .string("conv-42") && fact.metadata["user"] == .string("alice"))
            #expect(fact.metadata["model"] == .string("test-model"))
            #expect(fact.occurredAt >= before.addingTimeInterval(-1) && fact.occurredAt <= Date())
        }
    }

    /// A long conversation never makes the search too large for engramd: the turns that do
    /// not fit its text limit are left out. Without earlier turns, the extraction prompt has
    /// no conversation section.
    @Test func longConversationsAndFirstTurns() async throws {
        try await withStack(configure: { LearningTests.enable(&$0); $0.chatContextTurns = 50 }) { stack in
            let long = String(repeating: "ü word ", count: 300)
            var turns: [(String, String)] = []
            for _ in 0..<30 { turns += [("user", long), ("assistant", long)] }
            turns.append(("user", "and now?"))
            let response = try await stack.prompt.post("/v1/chat/completions", Self.conversation(turns))
            #expect(response.status == 200, "\(response.text)")
            let query = RequestContext.query(latest: "and now?", earlier: Array(repeating: long, count: 60))
            #expect(query.utf8.count <= RequestContext.maxQueryBytes && query.hasPrefix("and now?\n"))
            await stack.runtime.learning.waitUntilIdle()
            _ = try await stack.prompt.post("/v1/chat/completions", Self.conversation([("user", "hello")]))
            await stack.runtime.learning.waitUntilIdle()
            let prompt = try #require(stack.upstream.extractions.last?.messages.last?["content"] as? String)
            #expect(prompt.contains("User: hello") && !prompt.contains("Earlier in the conversation"))
        }
    }

    /// `chat.namespace_template` gives each end user a namespace of their own.
    @Test func aNamespacePerUser() async throws {
        try await withStack(configure: { $0.chatNamespaceTemplate = "user-{user}" }) { stack in
            let alices = try await stack.remember("Alice prefers window seats", in: "user-alice")
            _ = try await stack.remember("Bob prefers aisle seats", in: "user-bob")
            let body = Self.conversation([("user", "which seat do I prefer?")], user: "alice")
            let response = try await stack.prompt.post("/v1/chat/completions", body)
            #expect(response.status == 200 && response.headers["x-engram-memories"] == String(alices))
            let byHeader = try await stack.prompt.post("/v1/chat/completions", Self.conversation([("user", "which seat?")]),
                                                       headers: [("X-Engram-User", "bob")])
            #expect(byHeader.status == 200 && byHeader.headers["x-engram-memories"] != String(alices))
            // Any id maps to a name of its own, e-mail addresses included.
            let carol = try await stack.remember("Carol prefers the front row", in: "user-carol_40example_2ecom")
            let byEmail = try await stack.prompt.post("/v1/chat/completions", Self.conversation([("user", "which row?")]),
                                                      headers: [("X-Engram-User", "carol@example.com")])
            #expect(byEmail.status == 200 && byEmail.headers["x-engram-memories"] == String(carol))
            let bad = try await stack.prompt.post("/v1/chat/completions", Self.conversation([("user", "hi")], user: "a\u{1}b"))
            #expect(bad.status == 400 && bad.text.contains("'user'"), "\(bad.text)")
            #expect(throws: (any Error).self) { try PromptConfiguration.parse(toml: "[chat]\nnamespace_template = \"users\"") }
        }
    }
}
