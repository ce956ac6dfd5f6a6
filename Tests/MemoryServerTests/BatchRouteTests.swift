import Foundation
import MemoryServer
import Testing
import EngramTestSupport

@Suite("POST /v1/namespaces/{ns}/memories/batch over a real Unix socket")
struct BatchRouteTests {
    @Test("valid items are stored and searchable at once; bad ones come back with their index and code")
    func perItemResults() async throws {
        try await withRouterDaemon { client, _ in
            let body = #"""
                {"items": [
                    {"text": "the deploy key lives in the vault", "tags": ["ops"], "metadata": {"page": 3}},
                    {"text": ""},
                    {"text": "lunch is at noon on fridays", "source": "wiki", "thread": "t1", "position": 2},
                    {"txt": "misspelt"},
                    7,
                    {"text": "short vector", "vector": [1, 2]},
                    {"text": "expires soon", "expires_at": "2999-01-01T00:00:00Z"}
                 ], "actor": "loader", "reason": "initial load"}
                """#
            let response = try await client.sendJSON("POST", "/v1/namespaces/kb/memories/batch", json: body)
            #expect(response.status == 200, "\(response.text)")
            let json = try #require(response.json)
            let results = try #require(json["results"] as? [[String: Any]])
            #expect(results.map { $0["index"] as? Int } == Array(0..<7))
            #expect(results.map { $0["status"] as? String } == ["created", "failed", "created", "failed", "failed", "failed", "created"])
            let codes = results.map { ($0["error"] as? [String: Any])?["code"] as? String }
            #expect(codes == [nil, "invalid_argument", nil, "unknown_field", "invalid_field", "dimension_mismatch", nil])
            #expect(json["created"] as? Int == 3)
            #expect(json["failed"] as? Int == 4)
            #expect(json["namespace_created"] as? Bool == true)
            let ids = results.compactMap { $0["id"] as? Int }
            let sequences = results.compactMap { $0["sequence"] as? Int }
            #expect(ids.count == 3 && ids == [ids[0], ids[0] + 1, ids[0] + 2])
            #expect(json["last_sequence"] as? Int == sequences.max())

            let search = try await client.sendJSON("POST", "/v1/namespaces/kb/search", json: #"{"text": "lunch on fridays", "k": 1}"#)
            #expect(search.hitIDs == [ids[1]])
            let entry = try await client.request("GET", "/v1/namespaces/kb/memories/\(ids[1])")
            #expect(entry.json?["source"] as? String == "wiki")
            #expect(entry.json?["thread"] as? String == "t1")
            let audit = try await client.request("GET", "/v1/audit?namespace=kb")
            let events = try #require(audit.json?["events"] as? [[String: Any]])
            #expect(events.count == 3)
            #expect(events.allSatisfy { ($0["actor"] as? String)?.hasPrefix("loader") == true && $0["reason"] as? String == "initial load" })
        }
    }

    @Test("dedupe learn reinforces a repeated fact instead of storing it twice")
    func dedupeLearn() async throws {
        try await withRouterDaemon { client, _ in
            let body = #"{"items": [{"text": "the office opens at nine"}, {"text": "the office opens at nine"}], "dedupe": "learn"}"#
            let response = try await client.sendJSON("POST", "/v1/namespaces/kb/memories/batch", json: body)
            #expect(response.status == 200, "\(response.text)")
            let results = try #require(response.json?["results"] as? [[String: Any]])
            #expect(results.map { $0["status"] as? String } == ["created", "reinforced"])
            #expect(results[0]["id"] as? Int == results[1]["id"] as? Int)
            #expect(response.json?["created"] as? Int == 1)
            let stats = try await client.request("GET", "/v1/namespaces/kb")
            #expect(stats.json?["entry_count"] as? Int == 1)
        }
    }

    @Test("a bad envelope fails the whole request and stores nothing")
    func badEnvelope() async throws {
        try await withRouterDaemon { client, _ in
            let cases: [(String, Int, String)] = [
                (#"{"items": [{"text": "a"}], "dedupe": "maybe"}"#, 400, "invalid_field"),
                (#"{"items": {"text": "a"}}"#, 400, "invalid_field"),
                (#"{"items": [{"text": "a"}], "extra": 1}"#, 400, "unknown_field"),
                (#"{"dedupe": "learn"}"#, 400, "missing_field"),
                (#"{"items": [{"text": "a"}"#, 400, "malformed_json"),
                (#"[{"text": "a"}]"#, 400, "invalid_field"),
                (#"{"items": [{"text": "a"}], "actor": 5}"#, 400, "invalid_field"),
                (#"{"items": [{"text": "a"}], "items": [{"text": "b"}]}"#, 400, "malformed_json"),
            ]
            for (body, status, code) in cases {
                let response = try await client.sendJSON("POST", "/v1/namespaces/kb/memories/batch", json: body)
                #expect(response.status == status, "\(body): \(response.text)")
                #expect(response.errorCode == code, "\(body): \(response.text)")
            }
            let many = "{\"items\": [" + Array(repeating: #"{"text": "a"}"#, count: 1001).joined(separator: ",") + "]}"
            let tooMany = try await client.sendJSON("POST", "/v1/namespaces/kb/memories/batch", json: many)
            #expect(tooMany.status == 413, "\(tooMany.text)")
            #expect(tooMany.errorCode == "payload_too_large")
            let stats = try await client.request("GET", "/v1/namespaces/kb")
            #expect(stats.status == 404)
            // An empty batch, or one whose items all fail to decode, still checks the namespace.
            for body in [#"{"items": []}"#, #"{"items": [{"txt": "typo"}]}"#] {
                let badName = try await client.sendJSON("POST", "/v1/namespaces/..%20bad/memories/batch", json: body)
                #expect(badName.status == 400, "\(badName.text)")
                #expect(badName.errorCode == "invalid_argument")
            }
        }
    }
}
