import Foundation
import MemoryServer
import EngramTestSupport
import Testing

@Suite("Domain route errors over a real Unix socket")
struct MemoryRoutesErrorTests {
    @Test("unknown namespace or entry is a 404 JSON error")
    func notFound() async throws {
        try await withRouterDaemon { client, _ in
            let search = try await client.sendJSON("POST", "/v1/namespaces/nope/search", json: #"{"text": "x"}"#)
            #expect(search.status == 404)
            #expect(search.errorCode == "namespace_not_found")
            #expect(search.headers["content-type"] == "application/json")
            let get = try await client.request("GET", "/v1/namespaces/nope/memories/1")
            #expect(get.status == 404)
            #expect(get.errorCode == "namespace_not_found")
            try await client.createNamespace("kb")
            let entry = try await client.request("GET", "/v1/namespaces/kb/memories/99")
            #expect(entry.status == 404)
            #expect(entry.errorCode == "not_found")
            let history = try await client.request("GET", "/v1/namespaces/kb/memories/99/history")
            #expect(history.status == 404)
        }
    }

    @Test("bad bodies and parameters are 400s with stable codes")
    func badInput() async throws {
        try await withRouterDaemon { client, _ in
            try await client.createNamespace("kb")
            let cases: [(String, String, String, String)] = [
                ("POST", "/v1/namespaces/kb/search", #"{"vector": [1, 2, 3]}"#, "dimension_mismatch"),
                ("POST", "/v1/namespaces/kb/search", #"{"text": "x""#, "malformed_json"),
                ("POST", "/v1/namespaces/kb/memories", #"{"text": "x",}"#, "malformed_json"),
                ("POST", "/v1/namespaces/kb/memories", #"{"text": "x", "tagz": []}"#, "unknown_field"),
                ("POST", "/v1/namespaces/kb/memories", #"{"tags": []}"#, "missing_field"),
                ("POST", "/v1/namespaces/kb/memories", #"{"text": "   "}"#, "invalid_argument"),
                ("POST", "/v1/namespaces/kb/memories", #"{"text": "x", "vector": [1, 2]}"#, "dimension_mismatch"),
                ("POST", "/v1/namespaces/kb/search", #"{"text": "x", "filter": {"tag_any": ["a"]}}"#, "unknown_field"),
                ("POST", "/v1/namespaces/kb/search", #"{"text": "x", "k": 0}"#, "invalid_argument"),
                ("POST", "/v1/namespaces/kb/search", #"{"k": 3}"#, "invalid_argument"),
                ("PUT", "/v1/namespaces/other", #"{"dimension": 32, "parameters": {"mm": 3}}"#, "unknown_field"),
            ]
            for (method, path, body, code) in cases {
                let response = try await client.sendJSON(method, path, json: body)
                #expect(response.status == 400, "\(body): \(response.text)")
                #expect(response.errorCode == code, "\(body): \(response.text)")
            }
            let badID = try await client.request("GET", "/v1/namespaces/kb/memories/abc")
            #expect(badID.status == 400)
            let badLimit = try await client.request("GET", "/v1/namespaces/kb/memories?limit=lots")
            #expect(badLimit.status == 400)
            #expect(badLimit.errorCode == "invalid_field")
            let badUTF8 = try await client.request("POST", "/v1/namespaces/kb/memories", body: [0x7B, 0xFF, 0x7D])
            #expect(badUTF8.errorCode == "invalid_utf8")
            let empty = try await client.request("POST", "/v1/namespaces/kb/memories", body: [])
            #expect(empty.errorCode == "malformed_json")
        }
    }

    @Test("out-of-range numbers name their field; long text names the text limit; . and .. are not namespaces")
    func rangesAndLimits() async throws {
        try await withRouterDaemon { client, _ in
            try await client.createNamespace("kb")
            let cases: [(String, String, String, Int, String)] = [
                ("POST", "/v1/namespaces/kb/search", #"{"text": "x", "k": 9223372036854775808}"#, 400, "invalid_field"),
                ("POST", "/v1/namespaces/kb/search", #"{"text": "x", "k": 1e309}"#, 400, "invalid_field"),
                ("POST", "/v1/namespaces/kb/search", #"{"text": "x", "k": -1}"#, 400, "invalid_argument"),
                ("POST", "/v1/namespaces/kb/memories/1/revert", #"{"version": -1}"#, 400, "invalid_field"),
                ("POST", "/v1/admin/import", #"{"namespace": "..", "entries": []}"#, 400, "invalid_argument"),
                ("PUT", "/v1/namespaces/..", #"{"dimension": 32}"#, 400, "invalid_argument"),
                ("PUT", "/v1/namespaces/.", #"{"dimension": 32}"#, 400, "invalid_argument"),
            ]
            for (method, path, body, status, code) in cases {
                let response = try await client.sendJSON(method, path, json: body)
                #expect(response.status == status, "\(body): \(response.text)")
                #expect(response.errorCode == code, "\(body): \(response.text)")
            }
            let long = String(repeating: "a", count: 32_769)
            let tooLong = try await client.sendJSON("POST", "/v1/namespaces/kb/memories", json: #"{"text": "\#(long)"}"#)
            #expect(tooLong.status == 413)
            #expect(tooLong.text.contains("text has 32769 bytes"), "\(tooLong.text)")
        }
    }

    @Test("nested objects reject unknown fields and no route takes a trailing comma")
    func strictEverywhere() async throws {
        try await withRouterDaemon { client, _ in
            try await client.createNamespace("kb")
            let vector = Array(repeating: "1", count: 32).joined(separator: ",")
            let created = try await client.sendJSON("POST", "/v1/namespaces/kb/memories", json: #"{"text": "a fact"}"#)
            let id = (created.json?["entry"] as? [String: Any])?["id"] as? Int ?? 1
            let cases: [(String, String, String, String)] = [
                ("POST", "/v1/namespaces/kb/search",
                 #"{"text": "x", "filter": {"created": {"from": "2026-01-01T00:00:00Z", "zz": 1}}}"#, "unknown_field"),
                ("POST", "/v1/admin/import",
                 #"{"namespace": "kb", "entries": [{"id": 99, "text": "t", "evidence": {"support": 1, "zz": 1}}]}"#,
                 "unknown_field"),
                ("PATCH", "/v1/namespaces/kb/memories/\(id)", #"{"text": "new", "vector": [\#(vector),]}"#, "malformed_json"),
                ("POST", "/v1/namespaces/kb/memories/\(id)/revert", #"{"version": 1,}"#, "malformed_json"),
            ]
            for (method, path, body, code) in cases {
                let response = try await client.sendJSON(method, path, json: body)
                #expect(response.status == 400, "\(body): \(response.text)")
                #expect(response.errorCode == code, "\(body): \(response.text)")
            }
        }
    }
}
