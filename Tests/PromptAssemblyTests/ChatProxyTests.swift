import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import PromptAssembly

@Suite struct ChatProxyTests {
    static func chatBody(_ user: String, system: String? = nil, stream: Bool = false) -> String {
        var messages: [[String: Any]] = []
        if let system { messages.append(["role": "system", "content": system]) }
        messages.append(["role": "user", "content": user])
        return json(["model": "test-model", "messages": messages, "stream": stream, "temperature": 0.3])
    }

    /// The upstream receives the memories in the system message (merged before the client's
    /// own), every other field unchanged; the client gets the upstream's answer and the ids.
    @Test func memoriesReachTheUpstreamAndTheIdsComeBack() async throws {
        try await withStack(configure: { $0.upstreamAPIKey = "sk-config" }) { stack in
            let refunds = try await stack.remember("Refunds are processed within five business days", in: "support")
            let response = try await stack.prompt.post(
                "/v1/chat/completions", Self.chatBody("how long do refunds take", system: "Be brief."),
                headers: [("X-Engram-Namespace", "support"), ("Authorization", "Bearer client-key")])
            #expect(response.status == 200, "\(response.text)")
            #expect(response.headers["x-engram-memories"] == String(refunds))
            let choices = try #require(response.json["choices"] as? [[String: Any]])
            #expect((choices.first?["message"] as? [String: Any])?["content"] as? String == FakeUpstream.answer)

            let sent = try #require(stack.upstream.chats.last)
            #expect(sent.authorization == "Bearer sk-config")
            #expect(sent.json["temperature"] as? Double == 0.3)
            #expect(sent.json["model"] as? String == "test-model")
            let messages = sent.messages
            #expect(messages.count == 2)
            let system = try #require(messages.first?["content"] as? String)
            #expect(system.contains("[#\(refunds)]"))
            #expect(system.contains("Refunds are processed within five business days"))
            #expect(system.hasSuffix("business days\n\nBe brief."))
            #expect(messages.last?["content"] as? String == "how long do refunds take")
        }
    }

    /// Without an api_key the client's Authorization is passed on; without relevant memories
    /// the messages are forwarded unchanged and the header is empty.
    @Test func noMemoriesLeavesTheRequestUnchanged() async throws {
        try await withStack { stack in
            let response = try await stack.prompt.post(
                "/v1/chat/completions", Self.chatBody("hello"), headers: [("Authorization", "Bearer client-key")])
            #expect(response.status == 200)
            #expect(response.headers["x-engram-memories"] == "")
            let sent = try #require(stack.upstream.chats.last)
            #expect(sent.authorization == "Bearer client-key")
            #expect(sent.messages.count == 1)
            #expect(sent.messages.first?["role"] as? String == "user")
        }
    }

    /// `stream: true`: the events arrive at the client while the upstream is still streaming
    /// (the fake holds the rest back until the test has received the first chunk), and the
    /// bytes are exactly the upstream's.
    @Test func streamingPassesThroughChunkByChunk() async throws {
        let gate = Gate()
        try await withStack(streamGate: gate) { stack in
            let refunds = try await stack.remember("Refunds are processed within five business days")
            let response = try await stack.prompt.start(
                "POST", "/v1/chat/completions", json: Self.chatBody("how long do refunds take", stream: true),
                headers: [("X-Engram-Namespace", "ns")])
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            #expect(response.headers.first(name: "x-engram-memories") == String(refunds))
            var received = ""
            var opened = false
            for try await chunk in response.body {
                received += String(buffer: chunk)
                if !opened, received.contains("Refunds ") {
                    // The first words came through before the upstream was allowed to finish.
                    #expect(!received.contains("[DONE]"))
                    opened = true
                    gate.open()
                }
            }
            #expect(opened)
            #expect(received == FakeUpstream.streamEvents.joined())
            let system = try #require(stack.upstream.chats.last?.messages.first?["content"] as? String)
            #expect(system.contains("[#\(refunds)]"))
        }
    }

    @Test func prependInsertsASeparateSystemMessage() async throws {
        try await withStack(configure: { $0.chatInjectionName = "prepend" }) { stack in
            try await stack.remember("Refunds are processed within five business days", in: "default")
            let response = try await stack.prompt.post("/v1/chat/completions", Self.chatBody("refunds days", system: "Be brief."))
            #expect(response.status == 200)
            let messages = try #require(stack.upstream.chats.last?.messages)
            #expect(messages.map { $0["role"] as? String } == ["system", "system", "user"])
            #expect(messages[1]["content"] as? String == "Be brief.")
        }
    }

    @Test func upstreamDownIs502() async throws {
        try await withStack(configure: { $0.upstreamBaseURL = "http://127.0.0.1:1/v1"; $0.upstreamTimeoutSeconds = 1 }) { stack in
            let response = try await stack.prompt.post("/v1/chat/completions", Self.chatBody("hi"))
            #expect(response.status == 502)
            #expect(response.errorCode == "upstream_unavailable")
        }
    }
}
