import Foundation
import Testing
@testable import PromptAssembly

@Suite struct PromptRouteTests {
    /// The relevant memories come back best first with id, score, confidence and date, and the
    /// shipped templates list them in the prompt and in the system message.
    @Test func memoriesAreInjectedBestFirst() async throws {
        try await withStack { stack in
            let refunds = try await stack.remember("Refunds are processed within five business days")
            let vpn = try await stack.remember("The office VPN requires the authenticator app")
            _ = try await stack.remember("Lunch is served at noon in the cafeteria")
            let response = try await stack.prompt.post("/v1/prompt", json([
                "namespace": "ns", "request": "how many days until refunds are processed", "k": 2,
            ]))
            #expect(response.status == 200, "\(response.text)")
            let memories = try #require(response.json["memories"] as? [[String: Any]])
            #expect(memories.count == 2)
            #expect(memories.first?["id"] as? UInt64 == refunds)
            #expect(memories.first?["text"] as? String == "Refunds are processed within five business days")
            #expect(memories.first?["confidence"] is Double)
            #expect((memories.first?["created_at"] as? String)?.hasPrefix("20") == true)
            let scores = memories.compactMap { $0["score"] as? Double }
            #expect(scores == scores.sorted(by: >))
            let prompt = try #require(response.json["prompt"] as? String)
            let today = Date().formatted(Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: "en_GB"),
                                                          timeZone: TimeZone(identifier: "UTC")!))
            #expect(prompt.contains("- [#\(refunds)] (said on \(today), confidence "))
            #expect(prompt.hasSuffix("\n\nRequest: how many days until refunds are processed"))
            #expect(!prompt.contains("{{"))
            let messages = try #require(response.json["messages"] as? [[String: String]])
            #expect(messages.map { $0["role"] } == ["system", "user"])
            #expect(messages[0]["content"]?.contains("[#\(refunds)]") == true)
            #expect(messages[1]["content"] == "how many days until refunds are processed")
            _ = vpn
        }
    }

    /// Memories are added best first until the next would exceed the budget: the result is a
    /// prefix of the unbounded list, its estimate is within budget, and one more would not be.
    @Test func tokenBudgetBoundsThePrompt() async throws {
        try await withStack { stack in
            for index in 0..<8 {
                try await stack.remember("Refund policy note \(index): refunds for order type \(index) take \(index + 2) days to process")
            }
            let request = "how long do refunds take to process"
            let unbounded = try await stack.prompt.post("/v1/prompt", json([
                "namespace": "ns", "request": request, "k": 8, "token_budget": 100_000,
            ]))
            let all = try #require(unbounded.json["memories"] as? [[String: Any]]).compactMap { $0["id"] as? UInt64 }
            #expect(all.count == 8)
            for budget in [40, 90, 140, 200] {
                let response = try await stack.prompt.post("/v1/prompt", json([
                    "namespace": "ns", "request": request, "k": 8, "token_budget": budget,
                ]))
                #expect(response.status == 200)
                let ids = try #require(response.json["memories"] as? [[String: Any]]).compactMap { $0["id"] as? UInt64 }
                let prompt = try #require(response.json["prompt"] as? String)
                let estimate = Int((Double(prompt.utf8.count) / 4).rounded(.up))
                #expect(response.json["estimated_tokens"] as? Int == estimate)
                #expect(ids == Array(all.prefix(ids.count)))
                if !ids.isEmpty { #expect(estimate <= budget) }
                if ids.count < all.count {
                    // The next memory would have gone over: the same request with a budget of
                    // exactly the estimate plus that line's size is what it would take.
                    let more = try await stack.prompt.post("/v1/prompt", json([
                        "namespace": "ns", "request": request, "k": ids.count + 1, "token_budget": 100_000,
                    ]))
                    let longer = try #require(more.json["estimated_tokens"] as? Int)
                    #expect(longer > budget)
                }
            }
        }
    }

    @Test func nearDuplicatesAreSuppressed() async throws {
        try await withStack { stack in
            let first = try await stack.remember("The VPN needs the authenticator app.")
            let duplicate = try await stack.remember("the vpn needs the Authenticator app")
            let other = try await stack.remember("The VPN server is vpn.example.com")
            let response = try await stack.prompt.post("/v1/prompt", json(["namespace": "ns", "request": "vpn authenticator app"]))
            let ids = try #require(response.json["memories"] as? [[String: Any]]).compactMap { $0["id"] as? UInt64 }
            #expect(ids.count == 2)
            #expect(ids.contains(other))
            #expect(ids.filter { $0 == first || $0 == duplicate }.count == 1)
            let texts = try #require(response.json["memories"] as? [[String: Any]]).compactMap { $0["text"] as? String }
            #expect(Set(texts.map { $0.lowercased().filter(\.isLetter) }).count == texts.count)
        }
    }

    /// A template chosen by the request, from a custom directory, rendered exactly.
    @Test func requestedTemplateIsRendered() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["default", "system"] {
            try FileManager.default.copyItem(atPath: "\(packageRoot)/config/templates/\(name).mustache",
                                             toPath: "\(directory)/\(name).mustache")
        }
        try """
            {{% CONTENT_TYPE: TEXT}}
            Q: {{request}} ({{namespace}}, {{memory_count}} notes)
            {{#memories}}
            {{index}}. #{{id}} {{text}} [{{confidence}}]
            {{/memories}}
            """.write(toFile: "\(directory)/brief.mustache", atomically: true, encoding: .utf8)
        try await withStack(configure: { $0.templatesDirectory = directory }) { stack in
            let id = try await stack.remember("Tom & Jerry <cartoon> is on at 5")
            let response = try await stack.prompt.post("/v1/prompt", json([
                "namespace": "ns", "request": "when is tom & jerry on", "template": "brief",
            ]))
            #expect(response.status == 200, "\(response.text)")
            let confidence = try #require((response.json["memories"] as? [[String: Any]])?.first?["confidence"] as? Double)
            #expect(response.json["prompt"] as? String == """
                Q: when is tom & jerry on (ns, 1 notes)
                1. #\(id) Tom & Jerry <cartoon> is on at 5 [\(String(format: "%.2f", confidence))]
                """)
            #expect(response.json["template"] as? String == "brief")
            let unknown = try await stack.prompt.post("/v1/prompt", json(["namespace": "ns", "request": "x", "template": "nope"]))
            #expect(unknown.status == 400)
            #expect(unknown.errorCode == "unknown_template")
        }
    }

    /// `prompt.min_score` leaves out hits that are not similar enough, however few remain.
    @Test func minimumScoreDropsUnrelatedHits() async throws {
        try await withStack(configure: { $0.minScore = 0.5 }) { stack in
            let refunds = try await stack.remember("refunds take five business days")
            try await stack.remember("lunch is served at noon in the cafeteria")
            let response = try await stack.prompt.post("/v1/prompt", json(["namespace": "ns", "request": "refunds take how many days", "k": 5]))
            let memories = try #require(response.json["memories"] as? [[String: Any]])
            #expect(memories.map { $0["id"] as? UInt64 } == [refunds])
            #expect(memories.allSatisfy { ($0["similarity"] as? Double ?? 0) >= 0.5 })
        }
    }

    /// An unknown namespace is refused by default, so a mistyped name shows at once.
    @Test func unknownNamespaceIsRefused() async throws {
        #expect(PromptConfiguration().allowUnknownNamespaces == false)
        try await withStack(configure: { $0.allowUnknownNamespaces = false }) { stack in
            let response = try await stack.prompt.post("/v1/prompt", json(["namespace": "fresh", "request": "anything"]))
            #expect(response.status == 404)
            #expect(response.text.contains("namespace_not_found") && response.text.contains("allow_unknown_namespaces"))
        }
    }

    @Test func unknownNamespaceHasNoMemoriesWhenAllowed() async throws {
        try await withStack(configure: { $0.allowUnknownNamespaces = true }) { stack in
            let response = try await stack.prompt.post("/v1/prompt", json(["namespace": "fresh", "request": "anything"]))
            #expect(response.status == 200)
            #expect((response.json["memories"] as? [Any])?.isEmpty == true)
            #expect((response.json["prompt"] as? String)?.contains("No stored knowledge") == true)
        }
    }

    @Test func badRequestsGetTheDaemonsErrorShape() async throws {
        try await withStack { stack in
            let cases: [(String, Int, String)] = [
                ("{", 400, "malformed_json"),
                (#"{"namespace":"ns","request":"x","kk":3}"#, 400, "unknown_field"),
                (#"{"namespace":"ns"}"#, 400, "missing_field"),
                (#"{"namespace":"ns","request":"x","k":0}"#, 400, "invalid_field"),
                (#"{"namespace":"ns","request":"x","token_budget":"big"}"#, 400, "invalid_field"),
                (#"{"namespace":"bad name!","request":"x"}"#, 400, "invalid_field"),
            ]
            for (body, status, code) in cases {
                let response = try await stack.prompt.post("/v1/prompt", body)
                #expect(response.status == status, "\(body): \(response.text)")
                #expect(response.errorCode == code, "\(body): \(response.text)")
                #expect(response.headers["content-type"] == "application/json")
            }
            let missing = try await stack.prompt.get("/v1/nothing")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "route_not_found")
        }
    }
}
