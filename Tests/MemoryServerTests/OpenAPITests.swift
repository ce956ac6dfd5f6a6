#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MemoryServer
import Testing
import EngramTestSupport

/// Keeps `openapi/engram.json` true: every documented operation is served and nothing else
/// is, and a scripted session's live responses match the documented schema for their status.
///
/// The routes are checked twice: the router's registrations against the document, and from
/// the outside, where each documented (method, path) must not answer `route_not_found` /
/// `method_not_allowed`, and every other method on a documented path, and paths beside them,
/// must.
@Suite("OpenAPI document matches the server")
struct OpenAPITests {
    static let methods = ["GET", "PUT", "POST", "PATCH", "DELETE"]

    @Test("the documented (method, path) pairs are exactly the served routes")
    func routesMatch() async throws {
        let doc = try OpenAPIDocument.load()
        #expect(doc.operations.count >= 16)
        try await withMemoryServer { client, _ in
            for (template, methods) in doc.pathMethods.sorted(by: { $0.key < $1.key }) {
                let path = template.replacingOccurrences(of: "{ns}", with: "probe")
                    .replacingOccurrences(of: "{id}", with: "1")
                for method in Self.methods {
                    let body: [UInt8]? = ["POST", "PUT", "PATCH"].contains(method) ? Array("{}".utf8) : nil
                    let response = try await client.request(method, path, body: body,
                                                             headers: [("Content-Type", "application/json")])
                    let unrouted = response.errorCode == "route_not_found" || response.errorCode == "method_not_allowed"
                    if methods.contains(method) {
                        #expect(!unrouted, "documented \(method) \(template) is not served: \(response.status) \(response.text)")
                    } else {
                        #expect(unrouted && (response.status == 404 || response.status == 405),
                                "\(method) \(template) is served but not documented: \(response.status) \(response.text)")
                    }
                }
            }
            for path in ["/v1/nope", "/v1", "/v1/namespaces/probe/nope", "/v1/namespaces/probe/memories/1/nope",
                         "/v1/namespaces/probe/memories/1/history/x", "/v1/audit/1", "/v1/health/x"] {
                for method in Self.methods {
                    let response = try await client.request(method, path)
                    #expect(response.status == 404 && response.errorCode == "route_not_found",
                            "\(method) \(path) is served but not documented: \(response.status) \(response.text)")
                }
            }
        }
    }

    /// The router's own registrations (as ``RouteTable`` reads them), `:name` captures written
    /// `{name}`.
    @Test("the routes the server registers are the documented ones")
    func registeredRoutesMatch() async throws {
        let doc = try OpenAPIDocument.load()
        let registered = try await withTestDaemon { daemon in
            let server = MemoryServer(configuration: ServerConfiguration(), logger: makeTestLogger(),
                                      routes: { router, environment in
                                          MemoryRoutes.install(on: router, environment: environment, engine: daemon.engine)
                                      })
            return Set(server.makeRouter().routes.map { route in
                let template = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map {
                    $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
                }.joined(separator: "/")
                return "\(route.method.rawValue) \(template)"
            })
        }
        #expect(registered.count >= 16, "found only \(registered.sorted())")
        #expect(registered == doc.operations,
                "served but undocumented: \(registered.subtracting(doc.operations).sorted()); documented but not registered: \(doc.operations.subtracting(registered).sorted())")
    }

    @Test("a scripted session's responses match the documented schemas")
    func responsesMatch() async throws {
        let doc = try OpenAPIDocument.load()
        var session = Session(doc: doc)
        try await withMemoryServer { client, _ in
            session.client = client
            try await session.run()
        }
        #expect(session.failures.isEmpty, "\(session.failures.joined(separator: "\n"))")
        let missed = doc.operations.subtracting(session.covered)
        #expect(missed.isEmpty, "documented operations the session never exercised: \(missed.sorted())")
    }

    @Test("the validator rejects what the schemas forbid")
    func validatorRejects() throws {
        let doc = try OpenAPIDocument.load()
        let error = doc.schema(named: "Error")
        #expect(doc.validate(try JSON.parse(#"{"error":{"code":"x","message":"y"}}"#), error).isEmpty)
        #expect(!doc.validate(try JSON.parse(#"{"error":{"code":"x"}}"#), error).isEmpty)
        #expect(!doc.validate(try JSON.parse(#"{"error":{"code":"x","message":"y","extra":1}}"#), error).isEmpty)
        #expect(!doc.validate(try JSON.parse(#"{"error":{"code":1,"message":"y"}}"#), error).isEmpty)
        let evidence = doc.schema(named: "Evidence")
        #expect(!doc.validate(try JSON.parse(#"{"support":1.5,"contradictions":0,"useful":0,"not_useful":0}"#), evidence).isEmpty)
        #expect(!doc.validate(try JSON.parse(#"{"support":true,"contradictions":0,"useful":0,"not_useful":0}"#), evidence).isEmpty)
        let outcome = doc.schema(named: "LearnOutcome")
        #expect(!doc.validate(try JSON.parse(#"{"action":"merged","entry":{}}"#), outcome).isEmpty)
    }
}

// MARK: - The scripted session

private struct Session {
    let doc: OpenAPIDocument
    var client: UnixHTTPClient?
    var failures: [String] = []
    var covered: Set<String> = []

    init(doc: OpenAPIDocument) { self.doc = doc }

    /// Sends one request, checks its status and validates the body against the documented
    /// response schema of `template` for that status; returns the parsed body.
    @discardableResult
    mutating func call(_ method: String, _ template: String, _ path: String, json: String? = nil,
                       expect status: Int, code: String? = nil) async throws -> JSON {
        let client = try #require(client)
        let response = try await client.request(method, path, body: json.map { Array($0.utf8) },
                                                headers: [("Content-Type", "application/json")])
        let label = "\(method) \(path)"
        covered.insert("\(method) \(template)")
        if response.status != status {
            failures.append("\(label): status \(response.status), expected \(status): \(response.text)")
        }
        guard let content = doc.responseContent(method: method, template: template, status: response.status) else {
            failures.append("\(label): status \(response.status) is not documented")
            return .null
        }
        let contentType = response.headers["content-type"] ?? ""
        if content.type == "text/plain" {
            if !contentType.hasPrefix("text/plain") { failures.append("\(label): content-type \(contentType)") }
            return .string(response.text)
        }
        if !contentType.hasPrefix("application/json") { failures.append("\(label): content-type \(contentType)") }
        let body: JSON
        do {
            body = try JSON.parse(response.body)
        } catch {
            failures.append("\(label): body is not JSON: \(response.text)")
            return .null
        }
        for problem in doc.validate(body, content.schema) {
            failures.append("\(label) → \(response.status): \(problem)")
        }
        if let code, body["error"]?["code"]?.string != code {
            failures.append("\(label): error code \(String(describing: body["error"]?["code"])), expected \(code)")
        }
        return body
    }

    mutating func run() async throws {
        let ns = "/v1/namespaces/{ns}"
        let mem = "\(ns)/memories/{id}"
        try await call("GET", "/v1/health", "/v1/health", expect: 200)
        try await call("GET", "/metrics", "/metrics", expect: 200)
        try await call("PUT", ns, "/v1/namespaces/kb", json: #"{"dimension": 32, "parameters": {"m": 8}}"#, expect: 201)
        try await call("PUT", ns, "/v1/namespaces/kb", json: #"{"dimension": 32, "parameters": {"m": 8}}"#, expect: 200)
        try await call("PUT", ns, "/v1/namespaces/kb", json: #"{"dimension": 16}"#, expect: 409, code: "conflict")
        // Quantization: int8 by default; an absent one matches the namespace's own.
        let kb = try await call("PUT", ns, "/v1/namespaces/kb", json: #"{"dimension": 32, "parameters": {"m": 8}}"#, expect: 200)
        #expect(kb["parameters"]?["quantization"]?.string == "int8")
        let floats = try await call("PUT", ns, "/v1/namespaces/floats",
                                    json: #"{"dimension": 32, "parameters": {"quantization": "none"}}"#, expect: 201)
        #expect(floats["parameters"]?["quantization"]?.string == "none" && floats["traversal"]?.string == "none")
        try await call("PUT", ns, "/v1/namespaces/floats", json: #"{"dimension": 32}"#, expect: 200)
        try await call("PUT", ns, "/v1/namespaces/floats", json: #"{"dimension": 32, "parameters": {"quantization": "int8"}}"#,
                       expect: 409, code: "conflict")
        try await call("PUT", ns, "/v1/namespaces/floats", json: #"{"dimension": 32, "parameters": {"quantization": "int2"}}"#,
                       expect: 400)
        try await call("DELETE", ns, "/v1/namespaces/floats?confirm=true", expect: 200)
        try await call("GET", "/v1/namespaces", "/v1/namespaces", expect: 200)
        try await call("GET", ns, "/v1/namespaces/kb", expect: 200)
        try await call("GET", ns, "/v1/namespaces/missing", expect: 404, code: "namespace_not_found")

        let first = try await call("POST", "\(ns)/memories", "/v1/namespaces/kb/memories", json: """
            {"text": "the deploy key lives in the vault", "tags": ["ops"], "metadata": {"team": "infra", "n": 2},
             "source": "agent", "confidence": 0.7, "expires_at": "2099-01-01T00:00:00Z", "actor": "bot", "reason": "seed"}
            """, expect: 201)
        let id = first["entry"]?["id"]?.int ?? 0
        let vector = (0..<32).map { Float($0 % 5) - 2 }
        let numbers = vector.map { "\($0)" }.joined(separator: ",")
        try await call("POST", "\(ns)/memories", "/v1/namespaces/kb/memories",
                       json: #"{"text": "explicit vector", "vector": [\#(numbers)]}"#, expect: 201)
        let base64 = Data(vector.flatMap { value -> [UInt8] in
            withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        }).base64EncodedString()
        try await call("POST", "\(ns)/memories", "/v1/namespaces/kb/memories",
                       json: #"{"text": "base64 vector", "vector_b64": "\#(base64)", "pinned": true}"#, expect: 201)
        try await call("POST", "\(ns)/memories", "/v1/namespaces/kb/memories", json: #"{"txt": "typo"}"#,
                       expect: 400, code: "unknown_field")
        try await call("POST", "\(ns)/memories/batch", "/v1/namespaces/kb/memories/batch", json: """
            {"items": [{"text": "batch one", "tags": ["bulk"]}, {"text": ""}, {"text": "batch two", "vector": [\(numbers)]}],
             "actor": "loader", "reason": "load"}
            """, expect: 200)
        try await call("POST", "\(ns)/memories/batch", "/v1/namespaces/kb/memories/batch",
                       json: #"{"items": [{"text": "batch three"}], "dedupe": "learn"}"#, expect: 200)
        try await call("POST", "\(ns)/memories/batch", "/v1/namespaces/kb/memories/batch", json: #"{"itemz": []}"#,
                       expect: 400, code: "unknown_field")
        try await call("POST", "\(ns)/learn", "/v1/namespaces/kb/learn",
                       json: #"{"text": "the deploy key lives in the vault", "tags": ["ops"]}"#, expect: 200)
        try await call("POST", "\(ns)/learn", "/v1/namespaces/kb/learn",
                       json: #"{"text": "lunch is at noon on fridays"}"#, expect: 201)

        try await call("POST", "\(ns)/search", "/v1/namespaces/kb/search", json: """
            {"text": "deploy key vault", "k": 3, "ef": 32, "filter": {"tags_any": ["ops"], "min_confidence": 0.1,
             "created": {"from": "2000-01-01T00:00:00Z"}}, "rank": {"similarity": 1, "recency": 0.1, "recency_half_life": 3600}}
            """, expect: 200)
        try await call("POST", "\(ns)/search", "/v1/namespaces/kb/search",
                       json: #"{"vector_b64": "\#(base64)", "k": 2}"#, expect: 200)
        try await call("POST", "\(ns)/search", "/v1/namespaces/kb/search",
                       json: #"{"vector": [1, 2], "k": 2}"#, expect: 400)

        let entry = "/v1/namespaces/kb/memories/\(id)"
        try await call("GET", mem, entry, expect: 200)
        try await call("GET", mem, "/v1/namespaces/kb/memories/999999", expect: 404, code: "not_found")
        try await call("PATCH", mem, entry, json: #"{"text": "the deploy key lives in the new vault", "reason": "moved"}"#,
                       expect: 200)
        try await call("PATCH", mem, entry, json: #"{"clear_expiry": true, "tags": ["ops", "keys"]}"#, expect: 200)
        try await call("GET", "\(mem)/history", "\(entry)/history", expect: 200)
        try await call("POST", "\(mem)/feedback", "\(entry)/feedback", json: #"{"signal": "useful", "actor": "ui"}"#,
                       expect: 200)
        try await call("POST", "\(mem)/feedback", "\(entry)/feedback", json: #"{"signal": "great"}"#, expect: 400)
        try await call("POST", "\(mem)/revert", "\(entry)/revert", json: #"{"version": 1, "reason": "undo"}"#, expect: 200)
        try await call("POST", "/v1/embed", "/v1/embed", json: #"{"input": ["deploy key", "vault"]}"#, expect: 200)
        try await call("POST", "/v1/embed", "/v1/embed", json: #"{"input": []}"#, expect: 400, code: "invalid_argument")
        // Corrections and review: a corrected text is refused by learn; a changed value is held
        // for review, accepted or rejected there.
        try await call("PATCH", mem, entry, json: #"{"text": "the deploy key lives in the cloud vault"}"#, expect: 200)
        try await call("GET", "\(mem)/claims", "\(entry)/claims", expect: 200)
        try await call("POST", "\(ns)/learn", "/v1/namespaces/kb/learn",
                       json: #"{"text": "the deploy key lives in the vault"}"#, expect: 200)
        try await call("POST", "\(ns)/memories", "/v1/namespaces/kb/memories",
                       json: #"{"text": "the team standup is at 9 am on mondays"}"#, expect: 201)
        let held = try await call("POST", "\(ns)/learn", "/v1/namespaces/kb/learn",
                                  json: #"{"text": "the team standup is at 10 am on mondays"}"#, expect: 201)
        let heldID = held["entry"]?["id"]?.int ?? 0
        try await call("GET", "\(ns)/review", "/v1/namespaces/kb/review", expect: 200)
        try await call("POST", "\(ns)/review/{id}/accept", "/v1/namespaces/kb/review/\(heldID)/accept",
                       json: #"{"reason": "moved in November"}"#, expect: 200)
        let other = try await call("POST", "\(ns)/learn", "/v1/namespaces/kb/learn",
                                   json: #"{"text": "the team standup is at 11 am on mondays"}"#, expect: 201)
        try await call("POST", "\(ns)/review/{id}/reject", "/v1/namespaces/kb/review/\(other["entry"]?["id"]?.int ?? 0)/reject",
                       json: #"{"actor": "lead", "reason": "wrong"}"#, expect: 200)
        try await call("POST", "\(ns)/review/{id}/reject", "/v1/namespaces/kb/review/\(id)/reject", expect: 400,
                       code: "invalid_argument")
        try await call("GET", "\(ns)/memories", "/v1/namespaces/kb/memories?limit=2", expect: 200)
        try await call("GET", "\(ns)/memories", "/v1/namespaces/kb/memories?after=2&limit=100", expect: 200)
        try await call("GET", "/v1/audit", "/v1/audit?namespace=kb&limit=50", expect: 200)
        try await call("GET", "/v1/audit", "/v1/audit?after=1&through=3", expect: 200)
        // Operator routes: export, import (a minimal item: its defaults differ, so a conflict),
        // verify, backup, a rebuild job and its cancellation.
        let page = try await call("GET", "\(ns)/export", "/v1/namespaces/kb/export?limit=2", expect: 200)
        try await call("GET", "\(ns)/export", "/v1/namespaces/kb/export?after=999999", expect: 200)
        try await call("GET", "\(ns)/export", "/v1/namespaces/kb/export?limit=0", expect: 400)
        if let first = page["entries"]?[0], let id = first["id"]?.int, let text = first["text"]?.string,
           let vector = first["vector_b64"]?.string {
            let body = try JSONSerialization.data(withJSONObject: [
                "namespace": "kb", "entries": [["id": Int(id), "text": text, "vector_b64": vector]],
            ] as [String: Any])
            let result = try await call("POST", "/v1/admin/import", "/v1/admin/import",
                                        json: String(decoding: body, as: UTF8.self), expect: 200)
            if result["results"]?[0]?["status"]?.string != "conflict" { failures.append("import: \(result)") }
        } else {
            failures.append("export returned no entry: \(page)")
        }
        try await call("POST", "/v1/admin/import", "/v1/admin/import", json: #"{"namespace": "kb", "entries": [{"id": 1}]}"#,
                       expect: 400, code: "missing_field")
        try await call("POST", "/v1/admin/verify", "/v1/admin/verify", expect: 200)
        try await call("POST", "/v1/admin/backup", "/v1/admin/backup", json: #"{"path": "openapi-backup"}"#, expect: 200)
        try await call("POST", "/v1/admin/backup", "/v1/admin/backup", json: #"{"path": "relative/name"}"#, expect: 400,
                       code: "invalid_argument")
        try await call("POST", "/v1/admin/rebuild", "/v1/admin/rebuild", json: #"{"namespace": "kb", "m": 1}"#, expect: 400,
                       code: "invalid_argument")
        try await call("POST", "/v1/admin/rebuild", "/v1/admin/rebuild", json: #"{"namespace": "kb", "quantization": "fp4"}"#,
                       expect: 400)
        let job = try await call("POST", "/v1/admin/rebuild", "/v1/admin/rebuild", json: #"{"namespace": "kb", "m": 12}"#,
                                 expect: 202)
        let jobID = job["job"]?["id"]?.string ?? "?"
        try await call("GET", "/v1/admin/jobs/{job}", "/v1/admin/jobs/\(jobID)", expect: 200)
        try await call("DELETE", "/v1/admin/jobs/{job}", "/v1/admin/jobs/\(jobID)", expect: 200)
        try await call("GET", "/v1/admin/jobs/{job}", "/v1/admin/jobs/999", expect: 404, code: "not_found")
        // Wait for the job to end before the namespace is deleted below.
        for _ in 0..<500 where try await call("GET", "/v1/admin/jobs/{job}", "/v1/admin/jobs/\(jobID)", expect: 200)["job"]?["state"]?.string == "running" {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await call("DELETE", mem, "\(entry)?hard=true&reason=leak", expect: 200)
        try await call("GET", "/v1/audit", "/v1/audit?limit=abc", expect: 400)
        try await call("DELETE", ns, "/v1/namespaces/kb", expect: 400)
        try await call("DELETE", ns, "/v1/namespaces/kb?confirm=true", expect: 200)
        try await call("PUT", ns, "/v1/namespaces/empty", expect: 201)
        try await call("DELETE", ns, "/v1/namespaces/empty?confirm=1", expect: 200)
        try await call("GET", "\(ns)/memories", "/v1/namespaces/kb/memories", expect: 404, code: "namespace_not_found")
    }
}
