import Foundation
import Testing
@testable import PromptAssembly

/// Learning with the client's credentials and saying what became of it; engram-prompt's
/// answers and health when engramd or the upstream is gone.
@Suite struct ResilienceTests {
    /// With no `upstream.api_key`, the extraction call carries the chat request's own
    /// credentials (an upstream that requires a key would otherwise refuse it), and the answer
    /// says the exchange was queued for learning.
    @Test func extractionUsesTheClientsCredentials() async throws {
        try await withStack(configure: LearningTests.enable) { stack in
            stack.upstream.setExtractionReply(#"["The user's favourite tea is sencha."]"#)
            let response = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("I like sencha"),
                                                       headers: [("Authorization", "Bearer sk-client-7")])
            #expect(response.status == 200 && response.headers["x-engram-learning"] == "queued")
            // The upstream's request id and rate limits reach the client; its cookie does not.
            #expect(response.headers["x-request-id"] == "req-fake-1" && response.headers["x-ratelimit-remaining-requests"] == "99")
            #expect(response.headers["set-cookie"] == nil)
            await stack.runtime.learning.waitUntilIdle()
            #expect(stack.upstream.chats.last?.authorization == "Bearer sk-client-7")
            #expect(stack.upstream.extractions.first?.authorization == "Bearer sk-client-7")
            #expect(try await stack.memory.list(in: "default").entries.map(\.text) == ["The user's favourite tea is sencha."])

            let streamed = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("tea?", stream: true))
            #expect(streamed.headers["x-engram-learning"] == "queued" && streamed.headers["x-request-id"] == "req-fake-stream")
            let noUser = try await stack.prompt.post("/v1/chat/completions",
                                                     json(["model": "m", "messages": [["role": "system", "content": "hi"]]]))
            #expect(noUser.headers["x-engram-learning"] == "skipped:no_user_message")
            await stack.runtime.learning.waitUntilIdle()
        }
        try await withStack { stack in
            let response = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("hello"))
            #expect(response.headers["x-engram-learning"] == "off" && response.headers["x-engram-memories-status"] == "ok")
        }
    }

    /// A learning failure shows in health: its reason and time.
    @Test func aLearningFailureShowsInHealth() async throws {
        try await withStack(configure: LearningTests.enable) { stack in
            stack.upstream.setExtractionReply("not JSON at all")
            _ = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("I like tea"))
            await stack.runtime.learning.waitUntilIdle()
            let health = try await stack.prompt.get("/v1/health").json
            #expect(health["learning_last_failure"] as? String == "malformed_json")
            #expect((health["learning_last_failure_at"] as? String)?.hasPrefix("20") == true)
        }
    }

    /// engramd down: by default the chat fails with 503; with `answer_without_memories` it is
    /// answered without memories and says so. Health says `degraded` with the cause either way.
    @Test func withoutTheDaemon() async throws {
        try await withStack { stack in
            #expect(try await stack.prompt.get("/v1/health").json["status"] as? String == "ok")
            try await stack.stopDaemon()
            let refused = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("hello"))
            #expect(refused.status == 503 && refused.errorCode == "daemon_unavailable")
            let health = try await stack.prompt.get("/v1/health").json
            #expect(health["status"] as? String == "degraded" && health["daemon"] as? String == "unavailable")
            // A follow-up is searched twice (its message, its conversation): one request, counted once.
            let followUp = try await stack.prompt.post("/v1/chat/completions", ConversationTests.followUp)
            #expect(followUp.status == 503 && followUp.errorCode == "daemon_unavailable")
            #expect(try await stack.prompt.get("/metrics").text.contains("engram_prompt_daemon_unavailable_total 2"))
        }
        try await withStack(configure: { $0.chatOnDaemonUnavailable = "answer_without_memories" }) { stack in
            try await stack.stopDaemon()
            let answered = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("hello"))
            #expect(answered.status == 200 && answered.headers["x-engram-memories-status"] == "unavailable")
            #expect(answered.headers["x-engram-learning"] == "off")
            #expect(answered.headers["x-engram-memories"] == "")
            #expect(stack.upstream.chats.count == 1)
        }
    }

    /// An upstream that refuses connections is a 502, and health is `degraded` (naming it)
    /// until a call gets through.
    @Test func anUnreachableUpstreamDegradesHealth() async throws {
        try await withStack(configure: { $0.upstreamBaseURL = "http://127.0.0.1:1/v1" }) { stack in
            let response = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("hello"))
            #expect(response.status == 502 && response.errorCode == "upstream_unavailable")
            let health = try await stack.prompt.get("/v1/health").json
            #expect(health["status"] as? String == "degraded")
            #expect((health["upstream_message"] as? String)?.contains("127.0.0.1:1") == true)
        }
    }
}
