import EngramAPI
import Foundation
import HTTPTypes
import Hummingbird
import MemoryEngine
import NATS
import NIOCore
import Replication

extension HTTPField.Name {
    /// On a write's response: the log sequence the write was given. Pass it as
    /// `Engram-Min-Sequence` to read your write on any node.
    static let engramLogSequence = Self("Engram-Log-Sequence")!
    /// On every response of a replicated node: the log sequence it has applied.
    static let engramAppliedSequence = Self("Engram-Applied-Sequence")!
    /// On a request: wait (bounded) until this node has applied the log through this sequence.
    static let engramMinSequence = Self("Engram-Min-Sequence")!
    /// Set on a write a node forwarded to the namespace's owner (for the owner's logs; what
    /// keeps it from being forwarded again is ``ForwardedCall``, which a client cannot set).
    static let engramForwarded = Self("Engram-Forwarded-By")!
}

/// Whether the request being handled came from another node (``ForwardedRequestResponder``):
/// such a request is decided here, never forwarded again.
enum ForwardedCall {
    @TaskLocal static var active = false
}

/// What a replicated node does around every request: waits for `min_sequence`, sends writes
/// of namespaces another node owns to that owner, and reports the log sequences.
struct ClusterMiddleware: RouterMiddleware {
    typealias Context = EngramRequestContext
    let node: ReplicationNode
    let environment: ServerEnvironment

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        if let minimum = try Self.minimumSequence(request) {
            try await engineCall { try await node.waitApplied(through: minimum) }
        }
        if !ForwardedCall.active,
           let namespace = try await writtenNamespace(&request),
           case .forward(let owner) = try await engineCall({ try await node.route(writeTo: namespace) }) {
            return try await forward(request, to: owner, namespace: namespace)
        }
        let receipt = LogReceipt()
        var response = try await LogReceipt.$current.withValue(receipt) { try await next(request, context) }
        if let sequence = receipt.sequence { response.headers[.engramLogSequence] = String(sequence) }
        response.headers[.engramAppliedSequence] = String(node.applier.appliedSequence)
        return response
    }

    /// `Engram-Min-Sequence` or the `min_sequence` query parameter.
    static func minimumSequence(_ request: Request) throws(APIError) -> UInt64? {
        guard let text = request.headers[.engramMinSequence] ?? request.uri.queryParameters.get("min_sequence") else { return nil }
        guard let sequence = UInt64(text) else {
            throw RouteSupport.apiError(for: .invalidArgument("min_sequence must be a non-negative integer, got \"\(text.prefix(40))\""))
        }
        return sequence
    }

    /// The namespace `request` writes, if it is a write: every `PUT`, `PATCH`, `DELETE` and
    /// `POST` (but search) under `/v1/namespaces/{ns}`, and `POST /v1/admin/import` (the
    /// namespace is in its body, which is read here and put back).
    /// A name that is not a valid namespace name routes nowhere: the engine answers it (400).
    func writtenNamespace(_ request: inout Request) async throws -> String? {
        let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
        if request.method == .post, parts == ["v1", "admin", "import"] {
            let buffer = try await request.collectBody(upTo: environment.configuration.maxBodyBytes)
            struct Target: Decodable { var namespace: String }
            return (try? JSONDecoder().decode(Target.self, from: Data(buffer.readableBytesView)).namespace)
                .flatMap(Self.validName)
        }
        guard parts.count >= 3, parts[0] == "v1", parts[1] == "namespaces" else { return nil }
        let namespace = Self.validName(parts[2].removingPercentEncoding ?? String(parts[2]))
        switch request.method {
        case .put, .patch, .delete: return namespace
        case .post: return parts.count > 3 && parts.last == "search" ? nil : namespace
        default: return nil
        }
    }

    /// `name` when it is a namespace name (``PlainName``), else nil.
    static func validName(_ name: String) -> String? {
        PlainName.isValid(name) ? name : nil
    }

    private func forward(_ request: Request, to owner: String, namespace: String) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: environment.configuration.maxBodyBytes)
        var headers = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
        headers.append((HTTPField.Name.engramForwarded.canonicalName, node.configuration.nodeID))
        let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let forwarded = ForwardedRequest(method: request.method.rawValue, target: target, headers: headers,
                                         body: Array(body.readableBytesView))
        let answer: ForwardedResponse
        do {
            answer = try await node.forward(forwarded, to: owner, namespace: namespace)
        } catch let error as EngineError {
            throw RouteSupport.apiError(for: error)
        } catch NATSError.noResponders {
            throw RouteSupport.apiError(for: .unavailable(
                "node \(owner), which owns this namespace, is not running: nothing was written; retry (another node takes the namespace over after its lease)"))
        } catch {
            throw RouteSupport.apiError(for: .unavailable(
                "node \(owner), which owns this namespace, did not answer (\(error)): the write may have been stored; check before repeating a create"))
        }
        // The client reads next from this node, most likely: answer once it holds the write too
        // (bounded; a slow replica answers anyway, the header says what it has applied).
        if let sequence = answer.headers.first(where: { $0.name.lowercased() == "engram-log-sequence" }).flatMap({ UInt64($0.value) }) {
            try? await node.waitApplied(through: sequence)
        }
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            guard let field = HTTPField.Name(name), field != .contentLength, field != .transferEncoding,
                  field != .engramAppliedSequence else { continue }
            fields.append(HTTPField(name: field, value: value))
        }
        fields[.engramAppliedSequence] = String(node.applier.appliedSequence)
        return Response(status: .init(code: answer.status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    private func engineCall<R>(_ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as EngineError {
            throw RouteSupport.apiError(for: error)
        }
    }
}
