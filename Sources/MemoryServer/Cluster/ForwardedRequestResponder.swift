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
            let response = try await responder.respond(to: request, context: context)
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
