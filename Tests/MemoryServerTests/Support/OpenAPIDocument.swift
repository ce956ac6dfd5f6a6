import EngramTestSupport
import Foundation

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
        // Tests/MemoryServerTests/Support/<this file> → the repository root.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("openapi/engram.json")
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
