import EngramAPI
import Foundation
import Hummingbird
import MemoryEngine
import MemoryStore
import EngramJSON
import EngramService

/// The plumbing the domain routes share: engine errors as API errors, JSON with ISO 8601
/// dates both ways, path and query parameters, and the audit actor.
enum RouteSupport {
    // MARK: engine errors

    /// Runs a (synchronous) engine call *on the calling thread*, turning its ``EngineError``
    /// into the API error document: the engine's stable `code` is kept and the HTTP status
    /// chosen by it.
    ///
    /// Only for calls that cannot block: in-memory lookups (namespace stats) and vector
    /// searches (see ``SearchController``). Anything that commits, embeds or reads LMDB
    /// goes through ``blocking(_:_:)`` instead.
    static func engine<R>(_ body: () throws(EngineError) -> R) throws(APIError) -> R {
        do {
            return try body()
        } catch {
            throw apiError(for: error)
        }
    }

    /// Runs a blocking engine call (a write with its fsync, an embedding, an LMDB read) on the
    /// server's ``BlockingWorkPool``, off Swift's cooperative threads, with the same error
    /// mapping as ``engine(_:)``. The request's task waits without holding a thread.
    static func blocking<R: Sendable>(_ environment: ServerEnvironment,
                                      _ body: @escaping @Sendable () throws(EngineError) -> R) async throws(APIError) -> R {
        try await environment.blockingPool.run(body)
    }

    /// The status of each engine code.
    static func apiError(for error: EngineError) -> APIError {
        let status: HTTPResponse.Status = switch error {
        case .invalidArgument, .dimensionMismatch: .badRequest
        case .notFound, .namespaceNotFound: .notFound
        case .conflict, .cancelled: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .storageFull: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .unavailable: .serviceUnavailable
        case .embeddingFailed, .internalError: .internalServerError
        }
        return APIError(status: status, code: error.code, message: error.message)
    }

    // MARK: JSON

    /// Decodes `T` strictly from body bytes (see ``RequestJSON/decode(_:from:)``).
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        try RequestJSON.decode(T.self, from: bytes)
    }

    /// A JSON response of `value`, written by the API's encoder (``WireJSON/encoder()``).
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        JSONResponse.make([UInt8](try WireJSON.encoder().encode(value)), status: status)
    }

    /// The collected body as bytes (``BodyLimitMiddleware`` has already enforced the limit).
    static func body(of request: Request, environment: ServerEnvironment) async throws(APIError) -> [UInt8] {
        let buffer = try await request.collectedBody(limit: environment.configuration.maxBodyBytes)
        return Array(buffer.readableBytesView)
    }

    /// The body decoded strictly as `T` (see ``decode(_:from:)``).
    static func decodeBody<T: Decodable>(_ type: T.Type, of request: Request,
                                         environment: ServerEnvironment) async throws(APIError) -> T {
        try decode(T.self, from: try await body(of: request, environment: environment))
    }

    // MARK: parameters

    /// The `{ns}` path parameter.
    static func namespace(_ context: EngramRequestContext) throws(APIError) -> String {
        guard let name = context.parameters.get("ns") else { throw APIError.missingField("ns") }
        return name
    }

    /// The `{id}` path parameter: a positive integer.
    static func entryID(_ context: EngramRequestContext) throws(APIError) -> UInt64 {
        guard let text = context.parameters.get("id"), let id = UInt64(text), id > 0 else {
            throw APIError.invalidField("id", "expected a positive integer")
        }
        return id
    }

    /// An optional unsigned integer query parameter; present but unparsable is a 400.
    static func query(_ request: Request, _ name: String) throws(APIError) -> UInt64? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = UInt64(text) else { throw APIError.invalidField(name, "expected a non-negative integer") }
        return value
    }

    /// An optional `Int` query parameter (page sizes); present but unparsable is a 400.
    static func queryInt(_ request: Request, _ name: String) throws(APIError) -> Int? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int(text) else { throw APIError.invalidField(name, "expected an integer") }
        return value
    }

    /// A boolean query flag: absent is false; `true`/`1` and `false`/`0` are accepted.
    static func flag(_ request: Request, _ name: String) throws(APIError) -> Bool {
        guard let text = request.uri.queryParameters[Substring(name)] else { return false }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.invalidField(name, "expected true or false")
        }
    }

    /// An optional text query parameter (e.g. `reason` on `DELETE`, which has no body).
    static func text(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    /// An optional ISO 8601 time query parameter; present but unparsable is a 400.
    static func queryDate(_ request: Request, _ name: String) throws(APIError) -> Date? {
        guard let text = text(request, name) else { return nil }
        guard let date = WireJSON.parseDate(text) else {
            throw APIError.invalidField(name, "expected an ISO 8601 time such as 2026-12-05T10:00:00Z")
        }
        return date
    }

    /// An optional number query parameter; present but unparsable (or not finite) is a 400.
    static func queryDouble(_ request: Request, _ name: String) throws(APIError) -> Double? {
        guard let text = text(request, name) else { return nil }
        guard let value = Double(text), value.isFinite else { throw APIError.invalidField(name, "expected a number") }
        return value
    }

    /// The filter and order of `GET …/memories`: `tag` (comma-separated, any of them),
    /// `source`, `status` (active, pending, any), `conflicting` (true/false),
    /// `min_confidence`, `max_confidence`, `sort` (id, updated, confidence, use). `nil` filter
    /// when none is given.
    static func listFilter(_ request: Request) throws(APIError) -> (filter: SearchFilter?, order: ListOrder) {
        var filter = SearchFilter()
        if let tags = text(request, "tag") { filter.tagsAny = tags.split(separator: ",").map(String.init) }
        if let source = text(request, "source") { filter.sources = [source] }
        if let status = text(request, "status") {
            guard let parsed = StatusFilter(rawValue: status) else {
                throw APIError.invalidField("status", "expected active, pending or any")
            }
            filter.status = parsed
        }
        if text(request, "conflicting") != nil { filter.conflicting = try flag(request, "conflicting") }
        filter.minConfidence = try queryDouble(request, "min_confidence")
        filter.maxConfidence = try queryDouble(request, "max_confidence")
        var order = ListOrder.id
        if let sort = text(request, "sort") {
            guard let parsed = ListOrder(rawValue: sort) else {
                throw APIError.invalidField("sort", "expected " + ListOrder.allCases.map(\.rawValue).joined(separator: ", "))
            }
            order = parsed
        }
        return (filter.isEmpty ? nil : filter, order)
    }

    /// An optional body of `T` (an empty body is `empty`).
    static func optionalBody<T: Decodable>(_ type: T.Type, of request: Request, environment: ServerEnvironment,
                                           empty: T) async throws(APIError) -> T {
        let bytes = try await body(of: request, environment: environment)
        return bytes.isEmpty ? empty : try decode(T.self, from: bytes)
    }

    /// The audit filter of `GET /v1/audit`: `actor`, `kind` (one or
    /// several, comma-separated), `entry`, `since`, `until`.
    static func auditFilter(_ request: Request) throws(APIError) -> AuditFilter {
        var kinds: Set<AuditKind>?
        if let list = text(request, "kind") {
            var parsed = Set<AuditKind>()
            for name in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard let kind = AuditKind(rawValue: String(name)) else {
                    throw APIError.invalidField("kind", "expected one or more of "
                        + AuditKind.allCases.map(\.rawValue).joined(separator: ", ") + ", comma-separated")
                }
                parsed.insert(kind)
            }
            kinds = parsed
        }
        return AuditFilter(actor: text(request, "actor"), kinds: kinds, entryID: try query(request, "entry"),
                           since: try queryDate(request, "since"), until: try queryDate(request, "until"))
    }

    // MARK: audit actor

    /// Who the audit log names for a write: the Unix peer (`uid:1000`), or `anonymous` for a
    /// peer without credentials (TCP). A body's `actor` (an application's own user or agent
    /// name; the `actor` query parameter of a `DELETE`, which has no body) is recorded beside
    /// the peer, never instead of it — `importer (uid:1000)` — so a client cannot make the log
    /// name someone else as the process that wrote. An empty name is no name; one over
    /// ``maxActorBytes`` or with control characters is refused (`invalid_field`).
    static func actor(_ request: Request, named: String?) throws(APIError) -> String {
        let peer = request.peerCredentials.map { "uid:\($0.uid)" } ?? "anonymous"
        guard let named, !named.isEmpty else { return peer }
        guard named.utf8.count <= maxActorBytes,
              !named.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw APIError.invalidField("actor", "1–\(maxActorBytes) bytes without control characters")
        }
        return "\(named) (\(peer))"
    }

    /// The longest `actor` a request may name: the audit log and rejected claims keep it, and
    /// a claim's whole actor (with the peer) must stay within what export and import accept.
    static let maxActorBytes = 256
}
