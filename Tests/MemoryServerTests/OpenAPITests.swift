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
/// Hummingbird's `Router` keeps its route trie internal, so the routes are enumerated from
/// the outside: each documented (method, path) must not answer `route_not_found` /
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

    /// The router cannot be enumerated at run time, so its registrations are read from the
    /// server's source: every `router.get/put/post/patch/delete("…")` under
    /// `Sources/MemoryServer`, `:name` captures written `{name}`.
    @Test("the routes registered in the server's source are the documented ones")
    func sourceRoutesMatch() throws {
        let doc = try OpenAPIDocument.load()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources/MemoryServer")
        let pattern = try NSRegularExpression(pattern: #"router\.(get|put|post|patch|delete|head)\("([^"]+)""#)
        var registered: Set<String> = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources.appendingPathComponent(file).path, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let method = Range(match.range(at: 1), in: text), let path = Range(match.range(at: 2), in: text) else { continue }
                let template = text[path].split(separator: "/", omittingEmptySubsequences: false).map { segment in
                    segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
                }.joined(separator: "/")
                registered.insert("\(text[method].uppercased()) \(template)")
            }
        }
        #expect(registered.count >= 16, "found only \(registered.sorted()) under \(sources.path)")
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

// MARK: - The document and a small schema validator

/// A JSON value with integers told apart from other numbers and booleans from numbers.
enum JSON: Decodable, Equatable, CustomStringConvertible {
    case null, bool(Bool), int(Int64), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .int(v) }
        else if let v = try? c.decode(UInt64.self) { self = .number(Double(v)) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSON].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSON { try JSONDecoder().decode(JSON.self, from: Data(bytes)) }
    static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

    subscript(key: String) -> JSON? { if case .object(let o) = self { o[key] } else { nil } }
    subscript(index: Int) -> JSON? { if case .array(let a) = self, a.indices.contains(index) { a[index] } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int64? { if case .int(let i) = self { i } else { nil } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var double: Double? {
        switch self {
        case .int(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }
    var object: [String: JSON]? { if case .object(let o) = self { o } else { nil } }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .number(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[\(a.map(\.description).joined(separator: ","))]"
        case .object(let o): "{\(o.keys.sorted().joined(separator: ","))}"
        }
    }
}

struct OpenAPIDocument {
    let root: JSON

    static func load() throws -> OpenAPIDocument {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("openapi/engram.json")
        let document = OpenAPIDocument(root: try JSON.parse([UInt8](try Data(contentsOf: url))))
        guard document.root["openapi"]?.string?.hasPrefix("3.0") == true else {
            throw UnixHTTPClient.ClientError(description: "\(url.path) is not an OpenAPI 3.0 document")
        }
        return document
    }

    /// Path template → upper-cased methods.
    var pathMethods: [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for (path, item) in root["paths"]?.object ?? [:] {
            let methods = (item.object ?? [:]).keys.filter { ["get", "put", "post", "patch", "delete", "head", "options"].contains($0) }
            result[path] = Set(methods.map { $0.uppercased() })
        }
        return result
    }

    /// "METHOD /template" for every documented operation.
    var operations: Set<String> {
        Set(pathMethods.flatMap { path, methods in methods.map { "\($0) \(path)" } })
    }

    func schema(named name: String) -> JSON { root["components"]?["schemas"]?[name] ?? .null }

    /// The documented content of `status` for an operation (not `default`: every status the
    /// session sees must be named).
    func responseContent(method: String, template: String, status: Int) -> (type: String, schema: JSON)? {
        guard let response = root["paths"]?[template]?[method.lowercased()]?["responses"]?["\(status)"],
              let content = response["content"]?.object, let (type, media) = content.first,
              let schema = media["schema"] else { return nil }
        return (type, schema)
    }

    /// The problems with `value` under `schema` (empty when it conforms).
    func validate(_ value: JSON, _ schema: JSON, at path: String = "$") -> [String] {
        var problems: [String] = []
        check(value, schema, path, &problems)
        return problems
    }

    private func check(_ value: JSON, _ schema: JSON, _ path: String, _ problems: inout [String]) {
        if let ref = schema["$ref"]?.string {
            let prefix = "#/components/schemas/"
            guard ref.hasPrefix(prefix), case let target = self.schema(named: String(ref.dropFirst(prefix.count))),
                  target != .null else {
                problems.append("\(path): unresolvable $ref \(ref)")
                return
            }
            check(value, target, path, &problems)
            return
        }
        if value == .null {
            if schema["nullable"]?.bool != true { problems.append("\(path): null where the schema is not nullable") }
            return
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            problems.append("\(path): \(value) is not one of \(allowed)")
        }
        switch schema["type"]?.string {
        case "object":
            guard let object = value.object else { return problems.append("\(path): expected object, got \(value)") }
            let properties = schema["properties"]?.object ?? [:]
            if case .array(let required)? = schema["required"] {
                for name in required.compactMap(\.string) where object[name] == nil {
                    problems.append("\(path): missing required property '\(name)'")
                }
            }
            for (name, member) in object {
                if let property = properties[name] {
                    check(member, property, "\(path).\(name)", &problems)
                } else {
                    switch schema["additionalProperties"] {
                    case .bool(false)?: problems.append("\(path): undocumented property '\(name)'")
                    case .object? : check(member, schema["additionalProperties"]!, "\(path).\(name)", &problems)
                    default: break
                    }
                }
            }
        case "array":
            guard case .array(let items) = value else { return problems.append("\(path): expected array, got \(value)") }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { check(item, itemSchema, "\(path)[\(index)]", &problems) }
            }
        case "string":
            guard let text = value.string else { return problems.append("\(path): expected string, got \(value)") }
            if schema["format"]?.string == "date-time", !Self.isDateTime(text) {
                problems.append("\(path): '\(text)' is not an RFC 3339 date-time")
            }
            if schema["format"]?.string == "byte", Data(base64Encoded: text) == nil {
                problems.append("\(path): '\(text)' is not base64")
            }
        case "integer":
            guard value.int != nil else { return problems.append("\(path): expected integer, got \(value)") }
            checkBounds(value, schema, path, &problems)
        case "number":
            guard value.double != nil else { return problems.append("\(path): expected number, got \(value)") }
            checkBounds(value, schema, path, &problems)
        case "boolean":
            if value.bool == nil { problems.append("\(path): expected boolean, got \(value)") }
        case nil:
            break
        case let other?:
            problems.append("\(path): the schema has unknown type \(other)")
        }
    }

    private func checkBounds(_ value: JSON, _ schema: JSON, _ path: String, _ problems: inout [String]) {
        guard let number = value.double else { return }
        if let minimum = schema["minimum"]?.double, number < minimum { problems.append("\(path): \(number) < \(minimum)") }
        if let maximum = schema["maximum"]?.double, number > maximum { problems.append("\(path): \(number) > \(maximum)") }
    }

    static func isDateTime(_ text: String) -> Bool {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) != nil
            || (try? Date(text, strategy: Date.ISO8601FormatStyle())) != nil
    }
}
