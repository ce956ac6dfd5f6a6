import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import Replication

/// Answers writes other nodes forward to this one (they own nothing of the namespace) with
/// this node's own router, as if the client had sent them here.
struct ForwardedRequestResponder: Sendable {
    let responder: any HTTPResponder<EngramRequestContext>
    let logger: Logger

    func respond(_ forwarded: ForwardedRequest) async -> ForwardedResponse {
        guard Self.isWrite(method: forwarded.method, target: forwarded.target) else {
            return ForwardedResponse(status: 403, headers: [("Content-Type", "text/plain")],
                                     body: Array("only writes of namespaces are forwarded between nodes".utf8))
        }
        var fields = HTTPFields()
        for (name, value) in forwarded.headers {
            guard let field = HTTPField.Name(name), field != .contentLength, field != .transferEncoding else { continue }
            fields.append(HTTPField(name: field, value: value))
        }
        let head = HTTPRequest(method: HTTPRequest.Method(forwarded.method) ?? .get, scheme: nil, authority: "engram",
                               path: forwarded.target, headerFields: fields)
        let request = Request(head: head, body: .init(buffer: ByteBuffer(bytes: forwarded.body)))
        let context = EngramRequestContext(source: ApplicationRequestContextSource(channel: NIOAsyncTestingChannel(),
                                                                                   logger: logger))
        do {
            let response = try await ForwardedCall.$active.withValue(true) {
                try await responder.respond(to: request, context: context)
            }
            let collected = CollectedBody()
            try await response.body.write(CollectingBodyWriter(collected: collected))
            return ForwardedResponse(status: response.status.code,
                                     headers: response.headers.map { ($0.name.canonicalName, $0.value) },
                                     body: collected.bytes)
        } catch {
            logger.error("a forwarded write failed", metadata: ["error": "\(error)"])
            return ForwardedResponse(status: 500, headers: [("Content-Type", "text/plain")], body: Array("\(error)".utf8))
        }
    }
}

extension ForwardedRequestResponder {
    /// What a node forwards (``ClusterMiddleware``): a `POST`, `PUT`, `PATCH` or `DELETE` under
    /// `/v1/namespaces/`, or `POST /v1/admin/import`. Anything else that arrives is refused:
    /// operator routes stay with the node's own socket.
    static func isWrite(method: String, target: String) -> Bool {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if method == "POST" && path == "/v1/admin/import" { return true }
        return ["POST", "PUT", "PATCH", "DELETE"].contains(method) && path.hasPrefix("/v1/namespaces/") && !path.contains("..")
    }
}

/// A response body collected in memory (the body writer is consumed by the write, so the
/// bytes live here). Used by one task.
final class CollectedBody {
    var bytes: [UInt8] = []
}

struct CollectingBodyWriter: ResponseBodyWriter {
    let collected: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        collected.bytes.append(contentsOf: buffer.readableBytesView)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
