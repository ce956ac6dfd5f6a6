import Foundation
import NIOCore
import Synchronization

/// The state a connection shares between its callers and its channel handler: subscriptions,
/// callers waiting for a `PONG`, the `INFO` or a reply. Every field is behind one `Mutex`;
/// continuations are resumed after it is released.
final class ConnectionCore: Sendable {
    struct State {
        var info: NATSConnection.ServerInfo?
        var infoWaiters: [CheckedContinuation<NATSConnection.ServerInfo, any Error>] = []
        var subscriptions: [UInt64: AsyncThrowingStream<NATSMessage, any Error>.Continuation] = [:]
        var nextSid: UInt64 = 1
        /// Callers of `flush`, in the order of their `PING`s (the server answers in order).
        var pongWaiters: [CheckedContinuation<Void, any Error>] = []
        var inboxSid: UInt64?
        var nextToken: UInt64 = 1
        var replies: [String: CheckedContinuation<NATSMessage, any Error>] = [:]
        /// Set once the connection is closed: what pending and later calls fail with.
        var closed: (any Error)?
        var lastServerError: String?
    }

    let state = Mutex(State())
    /// `_INBOX.<random>.`: replies to this connection's requests arrive below it.
    let inboxPrefix = "_INBOX." + UUID().uuidString.replacingOccurrences(of: "-", with: "") + "."

    var info: NATSConnection.ServerInfo? { state.withLock { $0.info } }

    func serverInfo() async throws -> NATSConnection.ServerInfo {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<NATSConnection.ServerInfo, any Error>? = state.withLock { state in
                if let info = state.info { return .success(info) }
                if let closed = state.closed { return .failure(closed) }
                state.infoWaiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    func addSubscription(_ continuation: AsyncThrowingStream<NATSMessage, any Error>.Continuation) throws -> UInt64 {
        try state.withLock { state in
            if let closed = state.closed { throw closed }
            let sid = state.nextSid
            state.nextSid += 1
            state.subscriptions[sid] = continuation
            return sid
        }
    }

    /// Forgets `sid`; returns whether it was still subscribed.
    func removeSubscription(_ sid: UInt64) -> Bool {
        let removed = state.withLock { $0.subscriptions.removeValue(forKey: sid) }
        removed?.finish()
        return removed != nil
    }

    func awaitPong(_ continuation: CheckedContinuation<Void, any Error>) throws {
        try state.withLock { state in
            if let closed = state.closed { throw closed }
            state.pongWaiters.append(continuation)
        }
    }

    /// The inbox subscription to send, the first time a request needs it.
    func inboxToSubscribe() -> (subject: String, sid: UInt64)? {
        state.withLock { state in
            guard state.inboxSid == nil else { return nil }
            let sid = state.nextSid
            state.nextSid += 1
            state.inboxSid = sid
            return (inboxPrefix + "*", sid)
        }
    }

    func nextReplyToken() -> String {
        state.withLock { state in
            defer { state.nextToken += 1 }
            return String(state.nextToken)
        }
    }

    func awaitReply(_ token: String, _ continuation: CheckedContinuation<NATSMessage, any Error>) {
        let closed: (any Error)? = state.withLock { state in
            if let closed = state.closed { return closed }
            state.replies[token] = continuation
            return nil
        }
        if let closed { continuation.resume(throwing: closed) }
    }

    func failReply(_ token: String, _ error: any Error) {
        state.withLock { $0.replies.removeValue(forKey: token) }?.resume(throwing: error)
    }

    /// A request that timed out: its continuation is resumed by the timeout's cancellation.
    func dropReply(_ token: String) {
        failReply(token, NATSError.timeout("request \(token)"))
    }

    // MARK: - From the channel

    /// Handles one server operation; returns bytes to answer with (a `PONG`), if any.
    func receive(_ operation: ServerOperation) throws(NATSError) -> ByteBuffer? {
        switch operation {
        case .ping:
            return ByteBuffer(string: "PONG\r\n")
        case .pong:
            let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
                state.pongWaiters.isEmpty ? nil : state.pongWaiters.removeFirst()
            }
            waiter?.resume()
        case .ok:
            break
        case .error(let text):
            // Fatal errors are followed by the server closing the connection, which fails
            // everything pending with this text.
            state.withLock { $0.lastServerError = text }
        case .info(let json):
            let info: NATSConnection.ServerInfo
            do {
                info = try JSONDecoder().decode(NATSConnection.ServerInfo.self, from: Data(json))
            } catch {
                throw .protocolViolation("unreadable INFO: \(error)")
            }
            let waiters = state.withLock { state in
                state.info = info
                defer { state.infoWaiters.removeAll() }
                return state.infoWaiters
            }
            for waiter in waiters { waiter.resume(returning: info) }
        case .message(let sid, let message):
            enum Delivery {
                case subscription(AsyncThrowingStream<NATSMessage, any Error>.Continuation)
                case reply(CheckedContinuation<NATSMessage, any Error>)
            }
            let delivery: Delivery? = state.withLock { state in
                if sid == state.inboxSid {
                    guard message.subject.hasPrefix(inboxPrefix) else { return nil }
                    let token = String(message.subject.dropFirst(inboxPrefix.count))
                    return state.replies.removeValue(forKey: token).map(Delivery.reply)
                }
                return state.subscriptions[sid].map(Delivery.subscription)
            }
            switch delivery {
            case .subscription(let continuation): continuation.yield(message)
            case .reply(let continuation): continuation.resume(returning: message)
            case nil: break  // unsubscribed meanwhile, or a late reply
            }
        }
        return nil
    }

    /// The connection ended: every pending call fails, every subscription ends.
    func close(_ error: (any Error)?) {
        let (state, reason) = state.withLock { state -> (State, any Error) in
            let reason: any Error = error ?? state.lastServerError.map { NATSError.serverError($0) } ?? NATSError.connectionClosed
            if state.closed == nil { state.closed = reason }
            let snapshot = state
            state.infoWaiters.removeAll()
            state.pongWaiters.removeAll()
            state.replies.removeAll()
            state.subscriptions.removeAll()
            return (snapshot, reason)
        }
        for waiter in state.infoWaiters { waiter.resume(throwing: reason) }
        for waiter in state.pongWaiters { waiter.resume(throwing: reason) }
        for waiter in state.replies.values { waiter.resume(throwing: reason) }
        for subscription in state.subscriptions.values { subscription.finish(throwing: reason) }
    }
}

/// Feeds the decoded server operations to the connection's core, answers `PING`s, and closes
/// the connection on a protocol violation.
final class NATSInboundHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ServerOperation
    let core: ConnectionCore

    init(core: ConnectionCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            if let answer = try core.receive(unwrapInboundIn(data)) { context.writeAndFlush(NIOAny(answer), promise: nil) }
        } catch {
            core.close(error)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.close(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.close(nil)
        context.fireChannelInactive()
    }
}
