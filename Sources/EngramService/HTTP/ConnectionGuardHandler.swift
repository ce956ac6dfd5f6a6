import HTTPTypes
import NIOCore
import NIOHTTPTypes
import EngramAPI

/// Keeps two promises of the API on every connection, whatever Hummingbird's HTTP/1.1
/// channel does on its own:
///
/// 1. **Every error has a JSON body.** When the HTTP parser rejects a request (HTTP/0.9, a
///    byte 0xFF or a space in the target, an unknown method, bad chunk sizes), Hummingbird
///    answers `400` with an empty body and closes. That response is the only one with status
///    400 and `Content-Length: 0` (every response of ours carries a JSON body), so this handler
///    recognises it and sends the API's error document `bad_request` instead.
/// 2. **`Connection: close` closes.** A response marked `Connection: close` (an early 413,
///    a malformed body) is followed by closing the connection once its end is written, so the
///    server neither keeps reading a body it has refused nor keeps the descriptor of a client
///    that is still sending.
///
/// Sits in `additionalChannelHandlers`, where outbound parts are `HTTPResponsePart`s.
/// Cost per response: one header lookup on the head.
package final class ConnectionGuardHandler: ChannelOutboundHandler, RemovableChannelHandler {
    package typealias OutboundIn = HTTPResponsePart
    package typealias OutboundOut = HTTPResponsePart

    package init() {}

    /// The document sent in place of an empty parser-error body.
    static let parseErrorBody = APIError(
        status: .badRequest, code: "bad_request",
        message: "the request is not valid HTTP/1.1 (request line, header, or body framing)").jsonBody()

    /// Set by a head whose response must be followed by closing the connection.
    private var closeAfterEnd = false
    /// Set by a rewritten parser-error head: its body goes out just before the end.
    private var pendingBody: [UInt8]?

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if head.status == .badRequest, head.headerFields[.contentLength] == "0" {
                let body = Self.parseErrorBody
                head.headerFields[.contentLength] = String(body.count)
                head.headerFields[.contentType] = "application/json"
                head.headerFields[.connection] = "close"
                pendingBody = body
            }
            closeAfterEnd = head.headerFields[.connection]?.lowercased() == "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body(let buffer):
            context.write(wrapOutboundOut(.body(buffer)), promise: promise)
        case .end(let trailers):
            if let body = pendingBody {
                pendingBody = nil
                context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
            }
            guard closeAfterEnd else {
                context.write(wrapOutboundOut(.end(trailers)), promise: promise)
                return
            }
            closeAfterEnd = false
            // Close once the response has left: closing at once could drop what is still queued.
            let flushed = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: flushed)
            flushed.futureResult.assumeIsolated().whenComplete { result in
                context.close(promise: nil)
                promise?.completeWith(result)
            }
        }
    }
}
