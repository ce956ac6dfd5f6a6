import EngramAPI
import Foundation
import MemoryClient
import Testing
@testable import PromptAssembly

/// The product's promise end to end, over the sockets and through engram-prompt with a fake
/// upstream model: knowledge corrected by editing one entry stays corrected while the learning
/// loop keeps hearing the wrong version.
@Suite struct CorrectionStoryTests {
    static let wrong = "The refund window is 14 days."
    static let right = "The refund window is 30 days."

    /// The system message of the last chat request engram-prompt sent upstream.
    static func lastInjected(_ stack: Stack) throws -> String {
        let chat = try #require(stack.upstream.chats.last)
        return try #require(chat.messages.first?["content"] as? String)
    }

    @Test func aCorrectionHoldsAgainstTheLearningLoop() async throws {
        try await withStack(configure: LearningTests.enable) { stack in
            let headers = [("X-Engram-Namespace", "shop")]
            let question = ChatProxyTests.chatBody("how long is the refund window?")
            // 1. The model's answer teaches the wrong fact.
            stack.upstream.setExtractionReply(#"["\#(Self.wrong)"]"#)
            #expect(try await stack.prompt.post("/v1/chat/completions", question, headers: headers).status == 200)
            await stack.runtime.learning.waitUntilIdle()
            let learned = try await stack.memory.list(in: "shop").entries
            #expect(learned.map(\.text) == [Self.wrong] && learned.first?.learned == true)
            let id = try #require(learned.first?.id)

            // 2. An operator corrects the entry, with a reason.
            let alice = MemoryClient(socketPath: stack.daemonSocket, actor: "alice")
            let corrected = try await alice.edit(id, in: "shop", EditRequest(text: Self.right, confidence: 0.95, pinned: true),
                                                 reason: "policy changed on 1 March")
            #expect(corrected.entry.text == Self.right && corrected.entry.version == 2)

            // 3. The next request carries the correction.
            stack.upstream.setExtractionReply("[]")
            _ = try await stack.prompt.post("/v1/chat/completions", question, headers: headers)
            await stack.runtime.learning.waitUntilIdle()
            var injected = try Self.lastInjected(stack)
            #expect(injected.contains(Self.right) && !injected.contains("14 days"))

            // 4. A later conversation repeats the wrong fact, word for word and reworded: the
            //    first is refused, the second held for review; neither reaches a prompt.
            stack.upstream.setExtractionReply(#"["\#(Self.wrong)", "The refund window for online orders is 14 days."]"#)
            _ = try await stack.prompt.post("/v1/chat/completions", question, headers: headers)
            await stack.runtime.learning.waitUntilIdle()
            _ = try await stack.prompt.post("/v1/chat/completions", question, headers: headers)
            await stack.runtime.learning.waitUntilIdle()
            injected = try Self.lastInjected(stack)
            #expect(injected.contains(Self.right) && !injected.contains("14 days"), "\(injected)")
            let prompt = try await stack.prompt.post("/v1/prompt", json([
                "namespace": "shop", "request": "refund window days",
            ]))
            #expect(prompt.status == 200 && !(prompt.json["prompt"] as? String ?? "").contains("14 days"))

            let entries = try await stack.memory.list(in: "shop").entries
            #expect(entries.filter { !$0.pending }.map(\.text) == [Self.right])
            let pending = entries.filter(\.pending)
            #expect(pending.allSatisfy { $0.conflictsWith == [id] && $0.text.contains("14 days") })
            let review = try await stack.memory.review(in: "shop")
            #expect(review.items.map(\.entry.id) == pending.map(\.id))
            let metrics = try await stack.prompt.get("/metrics").text
            #expect(metrics.contains(#"engram_prompt_facts_learned_total{action="rejected"} 2"#), "\(metrics)")

            // 5. The audit log says who corrected it, when and why, and each rejection.
            let history = try await stack.memory.audit(filter: AuditFilter(entryID: id)).events
            let updated = try #require(history.first { $0.kind == .updated })
            #expect(updated.actor.hasPrefix("alice (") && updated.reason == "policy changed on 1 March")
            #expect(updated.claim == Self.wrong && updated.before?.text == Self.wrong && updated.after?.text == Self.right)
            let refusals = history.filter { $0.kind == .refused }
            #expect(refusals.count == 2 && refusals.allSatisfy { $0.claim == Self.wrong && $0.time >= updated.time })
            let claims = try await stack.memory.rejectedClaims(id, in: "shop")
            #expect(claims.map(\.text) == [Self.wrong] && claims.first?.cause == .corrected)

            // 6. The reviewer rejects the reworded fact: it is gone and becomes a claim too.
            for item in review.items { _ = try await alice.reject(item.entry.id, in: "shop", reason: "still 30 days") }
            #expect(try await stack.memory.list(in: "shop").entries.map(\.text) == [Self.right])
            #expect(try await stack.memory.rejectedClaims(id, in: "shop").count == 1 + review.items.count)
        }
    }

    /// By default a disputed learned fact stays out of prompts until a person settles it, and
    /// a contradicted memory yields its place to a sound one of the same relevance
    /// (`prompt.ranking = blend`; ranked by relevance alone, the two keep the search's order)
    /// or, under the default `min_confidence`, is left out.
    @Test func disputedStaysOutAndContradictedRanksLower() async throws {
        try await withStack(configure: { $0.k = 1 }) { stack in
            _ = try await stack.memory.createNamespace("shop", NamespaceRequest(learning: LearningPolicy(conflictPolicy: .link)))
            let person = try await stack.remember(Self.right, in: "shop")
            let learned = try await stack.memory.learn(RememberRequest(text: Self.wrong, source: "extraction:m"), in: "shop")
            #expect(learned.action == .conflicting)
            let response = try await stack.prompt.post("/v1/prompt", json(["namespace": "shop", "request": "refund window days",
                                                                           "k": 5]))
            let memories = try #require(response.json["memories"] as? [[String: Any]])
            #expect(memories.compactMap { $0["id"] as? UInt64 } == [person])
        }
        for ranking in [PromptConfiguration.Ranking.blend, .relevance] {
            try await withStack(configure: { $0.k = 1; $0.rankingName = ranking.rawValue }) { stack in
                // Same words, so the same relevance; the search's tie order is the older first.
                let doubted = try await stack.remember("ships from the Dublin warehouse", in: "shop")
                let sound = try await stack.remember("ships from the Dublin warehouse.", in: "shop")
                _ = try await stack.memory.feedback(doubted, in: "shop", .contradicted)
                let response = try await stack.prompt.post("/v1/prompt", json(["namespace": "shop", "request": "Dublin warehouse"]))
                let memories = try #require(response.json["memories"] as? [[String: Any]])
                #expect(memories.compactMap { $0["id"] as? UInt64 } == [ranking == .blend ? sound : doubted], "\(ranking)")
            }
        }
        // The default min_confidence leaves a memory a person contradicted out altogether.
        try await withStack(configure: { $0.minConfidence = PromptConfiguration().minConfidence }) { stack in
            let doubted = try await stack.remember("ships from the Dublin warehouse", in: "shop")
            let sound = try await stack.remember("ships from the Dublin warehouse.", in: "shop")
            _ = try await stack.memory.feedback(doubted, in: "shop", .contradicted)
            let response = try await stack.prompt.post("/v1/prompt", json(["namespace": "shop", "request": "Dublin warehouse"]))
            let memories = try #require(response.json["memories"] as? [[String: Any]])
            #expect(memories.compactMap { $0["id"] as? UInt64 } == [sound])
        }
    }

    /// Under the `link` policy a conflicting learned fact is live, comes after the person's
    /// entry, and the prompt says what it disputes.
    @Test func aLinkedConflictIsRenderedAsDisputed() async throws {
        try await withStack(configure: { $0.includeDisputed = true }) { stack in
            _ = try await stack.memory.createNamespace("shop", NamespaceRequest(learning: LearningPolicy(conflictPolicy: .link)))
            let person = try await stack.remember(Self.right, in: "shop")
            let learned = try await stack.memory.learn(RememberRequest(text: Self.wrong, source: "extraction:m"), in: "shop")
            #expect(learned.action == .conflicting)
            let learnedID = try #require(learned.entry?.id)
            let response = try await stack.prompt.post("/v1/prompt", json(["namespace": "shop", "request": "refund window days"]))
            let prompt = try #require(response.json["prompt"] as? String)
            let first = try #require(prompt.range(of: "[#\(person)]")), second = try #require(prompt.range(of: "[#\(learnedID)]"))
            #expect(first.lowerBound < second.lowerBound)
            #expect(prompt.contains("disputed: may contradict #\(person)) \(Self.wrong)"), "\(prompt)")
            let memories = try #require(response.json["memories"] as? [[String: Any]])
            #expect(memories.last?["conflicts_with"] as? [UInt64] == [person])
        }
    }
}
