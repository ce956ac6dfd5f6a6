#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import EngramAPI

/// Checks SO_PEERCRED once per connection and enforces the allowlist before any request
/// reaches Hummingbird.
///
/// How it gets at the socket: Hummingbird's `HTTP1Channel.Configuration.additionalChannelHandlers`
/// inserts handlers into every child channel's pipeline, after HTTP parsing and before request
/// handling. A child channel is a NIO `SocketChannel`, which conforms to `SocketOptionProvider`;
/// its `unsafeGetSocketOption(level: SOL_SOCKET, name: SO_PEERCRED)` is `getsockopt` on the
/// accepted fd, giving a `ucred` (uid, gid, pid). No fork of Hummingbird or NIO is needed.
///
/// A peer outside the allowlist gets, for its first request, a 403 `peer_not_allowed` JSON
/// error with `Connection: close`, and the connection is closed; its requests never reach a
/// route. An allowed peer's requests pass through with an `Engram-Peer-Credentials` header
/// (any client-sent copy removed first), so routes can record the actor. On the TCP listener
/// the handler runs in `stripOnly` mode: it only removes a client-sent header, since TCP peers
/// have no credentials and a forged header must not be believed.
package final class PeerCredentialsHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart
    package typealias OutboundOut = HTTPResponsePart

    package enum Mode: Sendable {
        case enforce(PeerAllowlist)
        case stripOnly
    }

    private enum State {
        case unknown
        case allowed(PeerCredentials, headerValue: String)
        case denied(PeerCredentials?)
        case closing
    }

    private let mode: Mode
    private let logger: Logger
    private var state: State = .unknown

    package init(mode: Mode, logger: Logger) {
        self.mode = mode
        self.logger = logger
    }

    package func channelActive(context: ChannelHandlerContext) {
        resolve(context: context)
        context.fireChannelActive()
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { resolve(context: context) }
    }

    /// Reads the peer's credentials. On the event loop (where handlers run) NIO performs the
    /// `getsockopt` synchronously, so the state is settled before the first byte is read.
    private func resolve(context: ChannelHandlerContext) {
        guard case .enforce(let allowlist) = mode, case .unknown = state else { return }
        let credentials = Self.peerCredentials(of: context.channel)
        guard let credentials else {
            logger.warning("cannot read SO_PEERCRED; refusing the connection")
            state = .denied(nil)
            return
        }
        if allowlist.allows(credentials) {
            state = .allowed(credentials, headerValue: credentials.description)
        } else {
            logger.notice("peer refused by allowlist", metadata: [
                "peer.uid": "\(credentials.uid)", "peer.gid": "\(credentials.gid)", "peer.pid": "\(credentials.pid)",
            ])
            Counter(label: "engram_peer_rejections_total").increment()
            state = .denied(credentials)
        }
    }

    /// SO_PEERCRED of a child channel, or nil when the channel is not a socket (or the call fails).
    package static func peerCredentials(of channel: any Channel) -> PeerCredentials? {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<LinuxUcred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        // Completed immediately on the event loop; anything else counts as a failure.
        var result: LinuxUcred?
        future.assumeIsolated().whenSuccess { result = $0 }
        guard let cred = result else { return nil }
        return PeerCredentials(uid: cred.uid, gid: cred.gid, pid: cred.pid)
        #else
        return nil
        #endif
    }

    /// Linux's `struct ucred` (pid_t pid; uid_t uid; gid_t gid). Glibc declares it only under
    /// `_GNU_SOURCE`, which Swift's Glibc module does not set, so the layout is restated here.
    struct LinuxUcred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var part = unwrapInboundIn(data)
        switch (mode, state) {
        case (.stripOnly, _):
            if case .head(var head) = part {
                head.headerFields[PeerCredentials.headerName] = nil
                part = .head(head)
            }
            context.fireChannelRead(wrapInboundOut(part))
        case (.enforce, .allowed(_, let headerValue)):
            if case .head(var head) = part {
                head.headerFields[PeerCredentials.headerName] = nil
                head.headerFields[PeerCredentials.headerName] = headerValue
                part = .head(head)
            }
            context.fireChannelRead(wrapInboundOut(part))
        case (.enforce, .denied(let credentials)):
            // Wait for the end of the first request so the client has finished sending and
            // reads the answer rather than a reset.
            guard case .end = part else { return }
            state = .closing
            writeForbidden(context: context, credentials: credentials)
        case (.enforce, .closing), (.enforce, .unknown):
            // .unknown cannot happen after channelActive; drop defensively rather than forward
            // unchecked data.
            return
        }
    }

    private func writeForbidden(context: ChannelHandlerContext, credentials: PeerCredentials?) {
        let error = credentials.map(APIError.peerNotAllowed)
            ?? APIError(status: .forbidden, code: "peer_not_allowed", message: "peer credentials unavailable")
        let body = error.jsonBody()
        var head = HTTPResponse(status: .forbidden)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.count)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}
