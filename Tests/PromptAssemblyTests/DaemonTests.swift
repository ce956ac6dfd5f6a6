import Foundation
import MemoryClient
import Testing
@testable import PromptAssembly

@Suite struct DaemonTests {
    /// Feedback reaches the daemon: evidence and confidence change there.
    @Test func feedbackReachesTheDaemon() async throws {
        try await withStack { stack in
            let good = try await stack.remember("Refunds take five business days")
            let bad = try await stack.remember("Refunds are instant")
            let before = try await stack.memory.get(good, in: "ns").confidence
            let useful = try await stack.prompt.post("/v1/feedback", json(["namespace": "ns", "memory_ids": [good], "useful": true]))
            #expect(useful.status == 200, "\(useful.text)")
            let updated = try #require(useful.json["updated"] as? [[String: Any]])
            #expect(updated.first?["id"] as? UInt64 == good)
            let entry = try await stack.memory.get(good, in: "ns")
            #expect(entry.evidence.useful == 1)
            #expect(entry.confidence > before)
            #expect(updated.first?["confidence"] as? Double == entry.confidence)

            let notUseful = try await stack.prompt.post("/v1/feedback", json([
                "namespace": "ns", "memory_ids": [bad, 999_999], "useful": false,
            ]))
            #expect(notUseful.status == 200)
            #expect(try await stack.memory.get(bad, in: "ns").evidence.notUseful == 1)
            let failed = try #require(notUseful.json["failed"] as? [[String: Any]])
            #expect(failed.first?["id"] as? UInt64 == 999_999)
            #expect((failed.first?["error"] as? [String: Any])?["code"] as? String == "not_found")

            let allFailed = try await stack.prompt.post("/v1/feedback", json(["namespace": "ns", "memory_ids": [999_999], "useful": true]))
            #expect(allFailed.status == 404)
            #expect(allFailed.errorCode == "not_found")
            let empty = try await stack.prompt.post("/v1/feedback", json(["namespace": "ns", "memory_ids": [], "useful": true]))
            #expect(empty.errorCode == "invalid_field")
        }
    }

    /// The daemon going away gives 503 `daemon_unavailable` on every route that needs it; a
    /// daemon started again on the same socket is used without restarting engram-prompt.
    @Test func daemonGoingAwayAndComingBack() async throws {
        try await withStack { stack in
            try await stack.remember("Refunds take five business days")
            let request = json(["namespace": "ns", "request": "refunds"])
            #expect(try await stack.prompt.post("/v1/prompt", request).status == 200)

            try await stack.stopDaemon()
            let down = try await stack.prompt.post("/v1/prompt", request)
            #expect(down.status == 503)
            #expect(down.errorCode == "daemon_unavailable")
            let message = try #require((down.json["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains(stack.daemonSocket))
            let chat = try await stack.prompt.post("/v1/chat/completions", ChatProxyTests.chatBody("refunds"))
            #expect(chat.errorCode == "daemon_unavailable")
            let feedback = try await stack.prompt.post("/v1/feedback", json(["namespace": "ns", "memory_ids": [1], "useful": true]))
            #expect(feedback.errorCode == "daemon_unavailable")
            let health = try await stack.prompt.get("/v1/health")
            #expect(health.status == 200)
            #expect(health.json["daemon"] as? String == "unavailable")
            #expect(try await stack.prompt.get("/metrics").text.contains("engram_prompt_daemon_unavailable_total 3"))

            try await stack.startDaemon()
            let id = try await stack.remember("Refunds take five business days, says the new daemon")
            let back = try await stack.prompt.post("/v1/prompt", request)
            #expect(back.status == 200, "\(back.text)")
            #expect((back.json["memories"] as? [[String: Any]])?.first?["id"] as? UInt64 == id)
            #expect(try await stack.prompt.get("/v1/health").json["daemon"] as? String == "ok")
        }
    }
}
