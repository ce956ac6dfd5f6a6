public import EngramAPI
import EngramJSON
import Foundation
import Synchronization

/// A client of engramd's socket API (HTTP/1.1 + JSON over a Unix domain socket), for the CLI,
/// the prompt service, benchmarks and tests.
///
/// Every method is one request; requests and results are the API's documents (EngramAPI:
/// ``WriteOutcome``, ``SearchHit``, ``MemoryEntry``…), and failures are a
/// ``MemoryClientError``: `.server` with the API's stable code when the daemon refused,
/// `.unavailable` when it could not be reached.
///
/// **Connections and locking.** The client keeps up to `maxIdleConnections` keep-alive
/// connections. A call takes an idle connection (or opens one), owns it exclusively for the
/// whole exchange, and puts it back when the response left it reusable. The only shared state
/// is that list of idle connections, behind a `Mutex` that is held for a push or pop and never
/// across I/O; so concurrent calls from many tasks run in parallel on separate connections,
/// and the class is `Sendable` without unchecked escapes.
///
/// **Threads.** Socket I/O blocks, so each call runs it on a thread of ``IOThreadPool``, never
/// on the Swift concurrency pool: blocking a cooperative thread could starve the very server
/// the call waits for when both live in one process (tests, benchmarks). The pool reuses parked
/// threads and starts one whenever none is free, so concurrent calls never queue for a thread.
/// A call in flight is not interrupted by task cancellation; it ends with the response or with
/// the timeout.
///
/// **Retries.** Before reusing an idle connection the client checks that the daemon has not
/// closed it. A request on a reused connection that fails before any response byte arrives is
/// retried once on a fresh connection only for `GET`, `PUT` and `DELETE`, which the API makes
/// idempotent; a `POST`/`PATCH` is never sent twice, because the daemon may have committed it.
public final class MemoryClient: Sendable {
    /// The daemon's socket.
    public let socketPath: String
    /// Recorded in the audit log beside the peer uid (`importer (uid:1000)`) on every write
    /// whose route takes an `actor`; `nil`: the peer alone.
    public let actor: String?
    /// Limit for each send and each receive (not for a whole call), in seconds.
    public let timeoutSeconds: Int
    /// Idle keep-alive connections kept for reuse; more may be open while calls run.
    public let maxIdleConnections: Int

    private let idle = Mutex<[UnixHTTPConnection]>([])
    public init(socketPath: String, actor: String? = nil, timeoutSeconds: Int = 30, maxIdleConnections: Int = 4) {
        self.socketPath = socketPath
        self.actor = actor
        self.timeoutSeconds = max(1, timeoutSeconds)
        self.maxIdleConnections = max(0, maxIdleConnections)
    }

    deinit {
        let connections = idle.withLock { connections in
            defer { connections.removeAll() }
            return connections
        }
        for connection in connections { connection.close() }
    }

    // MARK: health and namespaces

    /// `GET /v1/health`.
    public func health() async throws(MemoryClientError) -> Health {
        try await call("GET", ["v1", "health"], as: Health.self)
    }

    /// `PUT /v1/namespaces/{ns}`: creates the namespace, or returns it unchanged when it exists
    /// with the same configuration (`conflict` when the configuration differs).
    public func createNamespace(_ name: String, _ request: NamespaceRequest = NamespaceRequest())
        async throws(MemoryClientError) -> Namespace {
        try await call("PUT", ["v1", "namespaces", name], body: request, as: Namespace.self)
    }

    /// `GET /v1/namespaces`.
    public func namespaces() async throws(MemoryClientError) -> [Namespace] {
        try await call("GET", ["v1", "namespaces"], as: NamespaceList.self).namespaces
    }

    /// `GET /v1/namespaces/{ns}`.
    public func namespace(_ name: String) async throws(MemoryClientError) -> Namespace {
        try await call("GET", ["v1", "namespaces", name], as: Namespace.self)
    }

    /// `DELETE /v1/namespaces/{ns}`: the daemon refuses without `confirm: true`, so a caller has
    /// to say so explicitly.
    public func deleteNamespace(_ name: String, confirm: Bool, reason: String? = nil)
        async throws(MemoryClientError) -> NamespaceDeleted {
        try await call("DELETE", ["v1", "namespaces", name],
                       query: [("confirm", confirm ? "true" : "false"), ("actor", actor), ("reason", reason)], as: NamespaceDeleted.self)
    }

    // MARK: entries

    /// `POST /v1/namespaces/{ns}/memories`: a new entry (its vector, when given, travels as
    /// `vector_b64`).
    public func remember(_ request: RememberRequest, in namespace: String, reason: String? = nil)
        async throws(MemoryClientError) -> WriteOutcome {
        try await call("POST", ["v1", "namespaces", namespace, "memories"],
                       body: Audited(request, actor: actor, reason: reason), as: WriteOutcome.self)
    }

    /// `POST /v1/namespaces/{ns}/learn`: creates, or reinforces a near-duplicate.
    public func learn(_ request: RememberRequest, in namespace: String, reason: String? = nil)
        async throws(MemoryClientError) -> LearnOutcome {
        try await call("POST", ["v1", "namespaces", namespace, "learn"],
                       body: Audited(request, actor: actor, reason: reason), as: LearnOutcome.self)
    }

    /// `POST /v1/namespaces/{ns}/memories/batch`: many memories in one request, each item
    /// reported on its own (`request.actor` defaults to this client's actor).
    public func rememberBatch(_ request: BatchRememberRequest, in namespace: String)
        async throws(MemoryClientError) -> BatchRememberResponse {
        var request = request
        if request.actor == nil { request.actor = actor }
        return try await call("POST", ["v1", "namespaces", namespace, "memories", "batch"], body: request,
                              as: BatchRememberResponse.self)
    }

    /// `GET /v1/namespaces/{ns}/memories/{id}`.
    public func get(_ id: UInt64, in namespace: String) async throws(MemoryClientError) -> MemoryEntry {
        try await call("GET", ["v1", "namespaces", namespace, "memories", String(id)], as: MemoryEntry.self)
    }

    /// `GET /v1/namespaces/{ns}/memories`: one page in id order; pass `nextCursor` as `after`.
    ///
    /// `filter` narrows the listing by tags (any), one source, status, conflicting and the
    /// confidence range (its other members are not query parameters of this route and are
    /// ignored); `order` other than `id` sorts most first, `after` then being a position.
    public func list(in namespace: String, after: UInt64? = nil, limit: Int? = nil, filter: SearchFilter? = nil,
                     order: ListOrder? = nil) async throws(MemoryClientError) -> EntryList {
        var query: [(String, String?)] = [("after", after.map(String.init)), ("limit", limit.map(String.init))]
        if let filter {
            query += [("tag", filter.tagsAny.map { $0.joined(separator: ",") }), ("source", filter.sources?.first),
                      ("status", filter.status?.rawValue), ("conflicting", filter.conflicting.map { String($0) }),
                      ("min_confidence", filter.minConfidence.map { String($0) }),
                      ("max_confidence", filter.maxConfidence.map { String($0) })]
        }
        query.append(("sort", order?.rawValue))
        return try await call("GET", ["v1", "namespaces", namespace, "memories"], query: query, as: EntryList.self)
    }

    /// `GET /v1/namespaces/{ns}/memories/{id}/claims`: the rejected claims the entry holds.
    public func rejectedClaims(_ id: UInt64, in namespace: String) async throws(MemoryClientError) -> [RejectedClaim] {
        try await call("GET", ["v1", "namespaces", namespace, "memories", String(id), "claims"],
                       as: RejectedClaimList.self).claims
    }

    /// `GET /v1/namespaces/{ns}/review`: pending and conflicting facts with what they may contradict.
    public func review(in namespace: String, after: UInt64? = nil, limit: Int? = nil)
        async throws(MemoryClientError) -> ReviewPage {
        try await call("GET", ["v1", "namespaces", namespace, "review"],
                       query: [("after", after.map(String.init)), ("limit", limit.map(String.init))], as: ReviewPage.self)
    }

    /// `POST /v1/namespaces/{ns}/review/{id}/accept`.
    public func accept(_ id: UInt64, in namespace: String, reason: String? = nil) async throws(MemoryClientError) -> WriteOutcome {
        try await call("POST", ["v1", "namespaces", namespace, "review", String(id), "accept"],
                       body: ReviewDecision(actor: actor, reason: reason), as: WriteOutcome.self)
    }

    /// `POST /v1/namespaces/{ns}/review/{id}/reject`: the entry goes, its text becomes a rejected claim.
    public func reject(_ id: UInt64, in namespace: String, reason: String? = nil) async throws(MemoryClientError) -> WriteOutcome {
        try await call("POST", ["v1", "namespaces", namespace, "review", String(id), "reject"],
                       body: ReviewDecision(actor: actor, reason: reason), as: WriteOutcome.self)
    }

    /// `PATCH /v1/namespaces/{ns}/memories/{id}`.
    public func edit(_ id: UInt64, in namespace: String, _ request: EditRequest, reason: String? = nil)
        async throws(MemoryClientError) -> WriteOutcome {
        try await call("PATCH", ["v1", "namespaces", namespace, "memories", String(id)],
                       body: Audited(request, actor: actor, reason: reason), as: WriteOutcome.self)
    }

    /// `DELETE /v1/namespaces/{ns}/memories/{id}`; `hard` also scrubs the entry's content from
    /// every audit event of it and, at the daemon's next maintenance flush, from the data file.
    /// The outcome carries the entry as it was.
    public func forget(_ id: UInt64, in namespace: String, hard: Bool = false, reason: String? = nil)
        async throws(MemoryClientError) -> WriteOutcome {
        try await call("DELETE", ["v1", "namespaces", namespace, "memories", String(id)],
                       query: [("hard", hard ? "true" : nil), ("actor", actor), ("reason", reason)], as: WriteOutcome.self)
    }

    /// `GET /v1/namespaces/{ns}/memories/{id}/history`: the entry's audit events.
    public func history(_ id: UInt64, in namespace: String, after: UInt64? = nil, limit: Int? = nil)
        async throws(MemoryClientError) -> AuditPage {
        try await call("GET", ["v1", "namespaces", namespace, "memories", String(id), "history"],
                       query: [("after", after.map(String.init)), ("limit", limit.map(String.init))], as: AuditPage.self)
    }

    /// `POST /v1/namespaces/{ns}/memories/{id}/revert`: restores `version`'s content as a new
    /// version. `vector` is the caller's embedding of that version's text, when it supplies
    /// its own vectors.
    public func revert(_ id: UInt64, in namespace: String, toVersion version: UInt64, vector: [Float]? = nil,
                       reason: String? = nil) async throws(MemoryClientError) -> WriteOutcome {
        try await call("POST", ["v1", "namespaces", namespace, "memories", String(id), "revert"],
                       body: RevertRequest(version: version, vector: vector, actor: actor, reason: reason),
                       as: WriteOutcome.self)
    }

    /// `POST /v1/namespaces/{ns}/memories/{id}/feedback`.
    public func feedback(_ id: UInt64, in namespace: String, _ signal: FeedbackSignal, reason: String? = nil)
        async throws(MemoryClientError) -> WriteOutcome {
        try await call("POST", ["v1", "namespaces", namespace, "memories", String(id), "feedback"],
                       body: FeedbackRequest(signal: signal, actor: actor, reason: reason), as: WriteOutcome.self)
    }

    // MARK: search and audit

    /// `GET /v1/audit`: events with `after < sequence ≤ through`, optionally of one namespace.
    public func audit(after: UInt64? = nil, through: UInt64? = nil, namespace: String? = nil,
                      filter: AuditFilter = AuditFilter(), limit: Int? = nil) async throws(MemoryClientError) -> AuditPage {
        var query: [(String, String?)] = [("after", after.map(String.init)), ("through", through.map(String.init)),
                                          ("namespace", namespace), ("limit", limit.map(String.init))]
        let kinds: String? = filter.kinds.map { kinds in kinds.map(\.rawValue).sorted().joined(separator: ",") }
        query += [("actor", filter.actor), ("kind", kinds), ("entry", filter.entryID.map(String.init))]
        query += [("since", filter.since.map(WireDate.string)), ("until", filter.until.map(WireDate.string))]
        return try await call("GET", ["v1", "audit"], query: query, as: AuditPage.self)
    }

    // MARK: plumbing

    func call<Response: Decodable>(_ method: String, _ path: [String], query: [(String, String?)] = [],
                                           as type: Response.Type) async throws(MemoryClientError) -> Response {
        try await call(method, path, query: query, bodyBytes: nil, as: type)
    }

    func call<Body: Encodable, Response: Decodable>(
        _ method: String, _ path: [String], query: [(String, String?)] = [], body: Body, as type: Response.Type
    ) async throws(MemoryClientError) -> Response {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try WireJSON.encoder().encode(body))
        } catch {
            throw .invalidRequest("cannot encode the request body: \(error)")
        }
        return try await call(method, path, query: query, bodyBytes: bytes, as: type)
    }

    func call<Response: Decodable>(_ method: String, _ path: [String], query: [(String, String?)] = [],
                                   bodyBytes: [UInt8]?, as type: Response.Type)
        async throws(MemoryClientError) -> Response {
        let target = Self.target(path: path, query: query)
        let response = try await send(method: method, target: target, body: bodyBytes)
        return try Self.decode(type, from: response)
    }

    /// `/a/b?x=y` with every path segment and query value percent-encoded, so a namespace name
    /// or reason can never change the route or break the request line.
    static func target(path: [String], query: [(String, String?)]) -> String {
        var target = ""
        for segment in path { target += "/" + percentEncoded(segment) }
        let items = query.compactMap { name, value in value.map { "\(percentEncoded(name))=\(percentEncoded($0))" } }
        if !items.isEmpty { target += "?" + items.joined(separator: "&") }
        return target
    }

    /// RFC 3986 unreserved characters pass; every other UTF-8 byte becomes `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return result
    }

    /// A 2xx response decoded as `Response`; anything else as `.server`.
    static func decode<Response: Decodable>(_ type: Response.Type,
                                            from response: HTTPResponse) throws(MemoryClientError) -> Response {
        guard (200..<300).contains(response.status) else {
            if let document = try? JSONDecoder().decode(ErrorDocument.self, from: Data(response.body)) {
                throw .server(status: response.status, code: document.error.code, message: document.error.message)
            }
            let text = String(decoding: response.body.prefix(200), as: UTF8.self)
            throw .server(status: response.status, code: "http_\(response.status)", message: text)
        }
        do {
            return try WireJSON.decoder().decode(Response.self, from: Data(response.body))
        } catch {
            throw .invalidResponse("status \(response.status), body not a \(Response.self): \(error)")
        }
    }

    /// Runs the blocking exchange on a pool thread and resumes with its result.
    ///
    /// A parked ``IOThreadPool`` thread rather than a new thread per call: measured with
    /// `engram-socket-bench`, a `Thread` per call made the search's socket p50 measurably
    /// slower (see docs/performance.md#client-transport); a hand-over to a parked thread is a
    /// mutex push/pop and a semaphore signal.
    func send(method: String, target: String, body: [UInt8]?) async throws(MemoryClientError) -> HTTPResponse {
        let result: Result<HTTPResponse, MemoryClientError> = await withCheckedContinuation { continuation in
            IOThreadPool.shared.run {
                continuation.resume(returning: self.exchange(method: method, target: target, body: body))
            }
        }
        return try result.get()
    }

    func exchange(method: String, target: String, body: [UInt8]?) -> Result<HTTPResponse, MemoryClientError> {
        let idempotent = method == "GET" || method == "PUT" || method == "DELETE"
        var headers: [(String, String)] = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        var retried = false
        while true {
            let connection: UnixHTTPConnection
            let reused: Bool
            if let idleConnection = takeIdleConnection() {
                connection = idleConnection
                reused = true
            } else {
                do throws(TransportFailure) {
                    connection = try UnixHTTPConnection.connect(path: socketPath, timeoutSeconds: timeoutSeconds)
                } catch {
                    return .failure(.unavailable(error.message))
                }
                reused = false
            }
            do throws(TransportFailure) {
                let response = try connection.exchange(method: method, target: target, headers: headers, body: body)
                if response.reusable { putBack(connection) } else { connection.close() }
                return .success(response)
            } catch {
                connection.close()
                if reused, idempotent, !retried, error.beforeResponse, error.kind == .connection {
                    retried = true
                    continue
                }
                switch error.kind {
                case .connection: return .failure(.unavailable(error.message))
                case .malformed: return .failure(.invalidResponse(error.message))
                }
            }
        }
    }

    /// An idle connection the daemon has not closed, or `nil`; dead ones are closed on the way.
    private func takeIdleConnection() -> UnixHTTPConnection? {
        while let connection = idle.withLock({ $0.popLast() }) {
            if connection.isAlive() { return connection }
            connection.close()
        }
        return nil
    }

    private func putBack(_ connection: UnixHTTPConnection) {
        let kept = idle.withLock { connections in
            guard connections.count < maxIdleConnections else { return false }
            connections.append(connection)
            return true
        }
        if !kept { connection.close() }
    }
}
