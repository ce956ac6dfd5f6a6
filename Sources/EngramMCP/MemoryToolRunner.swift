import EngramAPI
import EngramJSON
import Foundation
import MCP
import MemoryClient

/// Carries out one MCP tool call against engramd through ``MemoryClient``.
///
/// Arguments are hostile input: they are turned back into JSON and decoded by the daemon
/// API's own strict request decoders (unknown, missing or mistyped members refused with the
/// API's codes), ids must be whole numbers ≥ 1, and `actor` cannot be set (every write is the
/// server's `mcp:<client>`). The daemon checks everything else (sizes, names, ranges) as for
/// any client. Every result carries the API's JSON document twice, as the MCP specification
/// asks of structured results: as `structuredContent` and as text; an error is a tool error
/// (`isError`) whose text and `structuredContent.error` carry the daemon's code and message.
struct MemoryToolRunner: Sendable {
    let client: @Sendable () -> MemoryClient
    /// Used when a call names no namespace; `nil`: the call must name one.
    let defaultNamespace: String?

    func call(_ name: String, arguments: [String: Value]) async -> CallTool.Result {
        do {
            return try await run(name, arguments: arguments)
        } catch {
            return Self.failure(code: error.code, message: error.message)
        }
    }

    private func run(_ name: String, arguments: [String: Value]) async throws(ToolFailure) -> CallTool.Result {
        if arguments["actor"] != nil {
            throw ToolFailure(code: "unknown_field", message: "actor: writes through engram mcp are audited as its client")
        }
        let memory = client()
        switch name {
        case MemoryToolCatalog.listNamespaces:
            try Self.onlyMembers(arguments, [])
            let namespaces = try await daemon { () async throws(MemoryClientError) in try await memory.namespaces() }
            return try Self.success(NamespaceList(namespaces: namespaces))
        case MemoryToolCatalog.remember, MemoryToolCatalog.learn:
            let namespace = try namespace(arguments)
            let request = try decode(Audited<RememberRequest>.self, arguments, dropping: ["namespace"])
            if name == MemoryToolCatalog.remember {
                return try Self.success(try await daemon { () async throws(MemoryClientError) in
                    try await memory.remember(request.request, in: namespace, reason: request.reason)
                })
            }
            return try Self.success(try await daemon { () async throws(MemoryClientError) in
                try await memory.learn(request.request, in: namespace, reason: request.reason)
            })
        case MemoryToolCatalog.search:
            let namespace = try namespace(arguments)
            let request = try decode(SearchRequest.self, arguments, dropping: ["namespace"])
            let hits = try await daemon { () async throws(MemoryClientError) in try await memory.search(in: namespace, request) }
            return try Self.success(SearchResponse(hits: hits))
        case MemoryToolCatalog.get:
            let (namespace, id) = (try namespace(arguments), try Self.id(arguments))
            try Self.onlyMembers(arguments, ["id", "namespace"])
            return try Self.success(try await daemon { () async throws(MemoryClientError) in try await memory.get(id, in: namespace) })
        case MemoryToolCatalog.edit:
            let (namespace, id) = (try namespace(arguments), try Self.id(arguments))
            let request = try decode(Audited<EditRequest>.self, arguments, dropping: ["namespace", "id"])
            return try Self.success(try await daemon { () async throws(MemoryClientError) in
                try await memory.edit(id, in: namespace, request.request, reason: request.reason)
            })
        case MemoryToolCatalog.forget:
            let (namespace, id) = (try namespace(arguments), try Self.id(arguments))
            try Self.onlyMembers(arguments, ["id", "namespace", "reason"])
            let reason = try Self.string(arguments, "reason")
            return try Self.success(try await daemon { () async throws(MemoryClientError) in
                try await memory.forget(id, in: namespace, reason: reason)
            })
        case MemoryToolCatalog.history:
            let (namespace, id) = (try namespace(arguments), try Self.id(arguments))
            try Self.onlyMembers(arguments, ["id", "namespace", "limit"])
            let limit = try Self.integer(arguments, "limit", in: 1...1000) ?? 100
            return try Self.success(try await daemon { () async throws(MemoryClientError) in
                try await memory.history(id, in: namespace, limit: limit)
            })
        case MemoryToolCatalog.feedback:
            let (namespace, id) = (try namespace(arguments), try Self.id(arguments))
            try Self.onlyMembers(arguments, ["id", "namespace", "signal", "reason"])
            guard let text = try Self.string(arguments, "signal"), let signal = FeedbackSignal(rawValue: text) else {
                throw ToolFailure(code: "invalid_field", message: "signal: one of useful, not_useful, contradicted")
            }
            let reason = try Self.string(arguments, "reason")
            return try Self.success(try await daemon { () async throws(MemoryClientError) in
                try await memory.feedback(id, in: namespace, signal, reason: reason)
            })
        default:
            throw ToolFailure(code: "unknown_tool", message: "no tool \"\(name)\"; the tools are "
                                  + MemoryToolCatalog.tools.map(\.name).joined(separator: ", "))
        }
    }

    // MARK: Arguments

    /// The call's `namespace`, else the server's default.
    func namespace(_ arguments: [String: Value]) throws(ToolFailure) -> String {
        if let named = try Self.string(arguments, "namespace") { return named }
        guard let defaultNamespace else {
            throw ToolFailure(code: "missing_field", message: "namespace: this server has no default namespace (--namespace)")
        }
        return defaultNamespace
    }

    /// `arguments` without `dropping`, decoded by the API's strict request decoder.
    func decode<T: Decodable>(_ type: T.Type, _ arguments: [String: Value], dropping: Set<String>)
        throws(ToolFailure) -> T {
        let body = arguments.filter { !dropping.contains($0.key) }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try JSONEncoder().encode(Value.object(body)))
        } catch {
            throw ToolFailure(code: "invalid_argument", message: "the arguments are not JSON: \(error)")
        }
        do {
            return try RequestJSON.decode(T.self, from: bytes)
        } catch {
            throw ToolFailure(code: error.code, message: error.message)
        }
    }

    static func onlyMembers(_ arguments: [String: Value], _ allowed: Set<String>) throws(ToolFailure) {
        if let unknown = arguments.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ToolFailure(code: "unknown_field", message: "\(unknown): not an argument of this tool")
        }
    }

    static func id(_ arguments: [String: Value]) throws(ToolFailure) -> UInt64 {
        guard let value = try integer(arguments, "id", in: 1...Int.max) else {
            throw ToolFailure(code: "missing_field", message: "id: the memory's id is required")
        }
        return UInt64(value)
    }

    /// A whole number in `range`: an integer, or a double with no fractional part (JSON has
    /// one number type, and some hosts send 12.0).
    static func integer(_ arguments: [String: Value], _ name: String, in range: ClosedRange<Int>) throws(ToolFailure) -> Int? {
        let number: Int?
        switch arguments[name] {
        case nil, .null?: return nil
        case .int(let value)?: number = value
        case .double(let value)?:
            number = value.isFinite && value.rounded() == value && abs(value) < 9.0e15 ? Int(value) : nil
        default: number = nil
        }
        guard let number, range.contains(number) else {
            throw ToolFailure(code: "invalid_field", message: "\(name): a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    static func string(_ arguments: [String: Value], _ name: String) throws(ToolFailure) -> String? {
        switch arguments[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw ToolFailure(code: "invalid_field", message: "\(name): a string")
        }
    }

    // MARK: Results

    /// Runs a client call, its error as a tool failure with the daemon's code.
    func daemon<T>(_ body: () async throws(MemoryClientError) -> T) async throws(ToolFailure) -> T {
        do {
            return try await body()
        } catch {
            throw ToolFailure(error)
        }
    }

    static func success(_ document: some Encodable) throws(ToolFailure) -> CallTool.Result {
        let json: Data
        let structured: Value
        do {
            json = try WireJSON.encoder().encode(document)
            // Not through `Value`'s own decoder, which would read a text such as "data:…,…"
            // as binary data (see ArgumentEscaping).
            structured = ArgumentEscaping.value(try JSONDecoder().decode(JSONValue.self, from: json))
        } catch {
            throw ToolFailure(code: "internal_error", message: "cannot encode the result: \(error)")
        }
        return CallTool.Result(content: [.text(text: String(decoding: json, as: UTF8.self), annotations: nil, _meta: nil)],
                               structuredContent: Optional(structured), isError: false)
    }

    static func failure(code: String, message: String) -> CallTool.Result {
        let error: Value = ["error": ["code": .string(code), "message": .string(message)]]
        return CallTool.Result(content: [.text(text: "error: \(code): \(message)", annotations: nil, _meta: nil)],
                               structuredContent: Optional(error), isError: true)
    }
}

/// Why a tool call failed: the daemon's error code and message, or the server's own for
/// arguments it refuses before calling the daemon.
struct ToolFailure: Error, Sendable {
    var code: String
    var message: String

    init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// A client error as above; any other error (none is expected) as `internal_error`.
    init(any error: any Error) {
        if let error = error as? MemoryClientError {
            self.init(error)
        } else {
            self.init(code: "internal_error", message: "\(error)")
        }
    }

    init(_ error: MemoryClientError) {
        switch error {
        case .server(_, let code, let message): self.init(code: code, message: message)
        case .unavailable(let message): self.init(code: "daemon_unavailable", message: "engramd is not reachable: \(message)")
        case .invalidResponse(let message): self.init(code: "invalid_response", message: message)
        case .invalidRequest(let message): self.init(code: "invalid_argument", message: message)
        }
    }
}
