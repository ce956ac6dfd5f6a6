import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A client connection to a NATS server (core protocol with headers): publish, subscribe,
/// request/reply. Thread-safe; one TCP connection, no reconnection (a closed connection fails
/// every pending call with ``NATSError/connectionClosed`` and ends every subscription).
///
/// Written on swift-nio because the package mirror holds no Swift NATS client; the wire
/// protocol is <https://docs.nats.io/reference/reference-protocols/nats-protocol>.
public final class NATSConnection: Sendable {
    /// What the server said about itself (`INFO`).
    public struct ServerInfo: Sendable, Decodable {
        public var serverID: String?
        public var version: String?
        public var maxPayload: Int?
        public var headers: Bool?
        public var jetStream: Bool?

        enum CodingKeys: String, CodingKey {
            case serverID = "server_id"
            case version
            case maxPayload = "max_payload"
            case headers
            case jetStream = "jetstream"
        }
    }

    let channel: any Channel
    let core: ConnectionCore

    private init(channel: any Channel, core: ConnectionCore) {
        self.channel = channel
        self.core = core
    }

    /// A connection nobody holds any more closes its socket.
    deinit { channel.close(promise: nil) }

    /// Connects, reads the server's `INFO`, sends `CONNECT` (headers and no-responders on) and
    /// waits for the server to answer a `PING`.
    /// - Throws: ``NATSError`` (`timeout`, `serverError` for a refused `CONNECT`,
    ///   `protocolViolation`), or the socket's error.
    public static func connect(host: String, port: Int, name: String = "engram",
                               timeout: Duration = .seconds(5)) async throws -> NATSConnection {
        let core = ConnectionCore()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                + timeout.components.attoseconds / 1_000_000_000))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NATSFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(NATSInboundHandler(core: core))
                }
            }
            .connect(host: host, port: port).get()
        let connection = NATSConnection(channel: channel, core: core)
        do {
            let info = try await connection.withTimeout(timeout, "waiting for INFO") { try await core.serverInfo() }
            guard info.headers != false else { throw NATSError.protocolViolation("the server does not support headers") }
            let options: [String: any Sendable] = [
                "verbose": false, "pedantic": false, "headers": true, "no_responders": true, "protocol": 1,
                "name": name, "lang": "swift", "version": "1.0",
            ]
            let json = try JSONSerialization.data(withJSONObject: options, options: [.sortedKeys])
            try await connection.write(Array("CONNECT ".utf8) + Array(json) + Array("\r\n".utf8))
            try await connection.flush(timeout: timeout)
        } catch {
            try? await channel.close()
            throw error
        }
        return connection
    }

    /// The server's `INFO`.
    public var serverInfo: ServerInfo? { core.info }

    /// Closes the connection; pending calls fail, subscriptions end.
    public func close() async {
        try? await channel.close()
    }

    /// Publishes `payload` on `subject`, with `headers` when given (HPUB). Returns once the
    /// bytes are written to the socket; ``flush(timeout:)`` waits for the server to have them.
    /// - Throws: ``NATSError/invalidArgument(_:)`` for a subject with spaces or an oversized
    ///   payload; ``NATSError/connectionClosed``.
    public func publish(_ subject: String, payload: [UInt8], headers: NATSHeaders? = nil, replyTo: String? = nil) async throws {
        try Self.check(subject: subject)
        if let replyTo { try Self.check(subject: replyTo) }
        let target = replyTo.map { "\(subject) \($0)" } ?? subject
        let headerBytes = headers.map(\.encoded) ?? []
        let total = headerBytes.count + payload.count
        if let limit = core.info?.maxPayload, total > limit {
            throw NATSError.invalidArgument("a message of \(total) bytes exceeds the server's max_payload \(limit)")
        }
        var frame: [UInt8] = headers == nil ? Array("PUB \(target) \(total)\r\n".utf8)
            : Array("HPUB \(target) \(headerBytes.count) \(total)\r\n".utf8)
        frame.reserveCapacity(frame.count + total + 2)
        frame += headerBytes
        frame += payload
        frame += [13, 10]
        try await write(frame)
    }

    /// Subscribes to `subject` (wildcards allowed), in queue group `queue` when given.
    public func subscribe(_ subject: String, queue: String? = nil) async throws -> NATSSubscription {
        try Self.check(subject: subject)
        if let queue { try Self.check(subject: queue) }
        let (stream, continuation) = AsyncThrowingStream<NATSMessage, any Error>.makeStream()
        let sid = try core.addSubscription(continuation)
        continuation.onTermination = { [weak self] _ in
            guard let self, self.core.removeSubscription(sid) else { return }
            self.channel.writeAndFlush(ByteBuffer(string: "UNSUB \(sid)\r\n"), promise: nil)
        }
        try await write(Array("SUB \(subject)\(queue.map { " \($0)" } ?? "") \(sid)\r\n".utf8))
        return NATSSubscription(sid: sid, messages: stream, connection: self)
    }

    /// Publishes a request and waits for its first reply.
    /// - Throws: ``NATSError/noResponders(_:)`` when nobody listens on `subject`,
    ///   ``NATSError/timeout(_:)``, ``NATSError/connectionClosed``.
    public func request(_ subject: String, payload: [UInt8], headers: NATSHeaders? = nil,
                        timeout: Duration = .seconds(5)) async throws -> NATSMessage {
        if let inbox = core.inboxToSubscribe() {
            try await write(Array("SUB \(inbox.subject) \(inbox.sid)\r\n".utf8))
        }
        let token = core.nextReplyToken()
        let replyTo = core.inboxPrefix + token
        let reply: NATSMessage = try await withTimeout(timeout, "no reply on \(subject)", onTimeout: { self.core.dropReply(token) }) {
            try await withCheckedThrowingContinuation { continuation in
                self.core.awaitReply(token, continuation)
                Task {
                    do {
                        try await self.publish(subject, payload: payload, headers: headers, replyTo: replyTo)
                    } catch {
                        self.core.failReply(token, error)
                    }
                }
            }
        }
        if reply.headers.status == 503 { throw NATSError.noResponders(subject) }
        return reply
    }

    /// Sends `PING` and waits for the `PONG`: every operation sent before has been processed.
    public func flush(timeout: Duration = .seconds(5)) async throws {
        try await withTimeout(timeout, "no PONG") {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                do {
                    try self.core.awaitPong(continuation)
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                self.channel.writeAndFlush(ByteBuffer(string: "PING\r\n"), promise: nil)
            }
        }
    }

    // MARK: - Plumbing

    func write(_ bytes: [UInt8]) async throws {
        guard channel.isActive else { throw NATSError.connectionClosed }
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// A subject or queue name as the protocol carries it: non-empty, no whitespace or control
    /// characters, at most 1,024 bytes (what could split or forge a protocol line is refused).
    static func check(subject: String) throws(NATSError) {
        guard !subject.isEmpty, subject.utf8.count <= 1024,
              subject.utf8.allSatisfy({ $0 > 32 && $0 != 127 }) else {
            throw .invalidArgument("invalid NATS subject \"\(subject.prefix(64))\"")
        }
    }

    /// Runs `body`, failing with ``NATSError/timeout(_:)`` after `timeout`.
    ///
    /// Returns at the timeout without waiting for `body`, which may be suspended on a
    /// continuation that only a reply (or the connection's end) resumes: `onTimeout` is called
    /// to let it go (a request drops its reply slot), and `body` is cancelled.
    func withTimeout<T: Sendable>(_ timeout: Duration, _ what: String, onTimeout: @escaping @Sendable () -> Void = {},
                                  _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = FirstOutcome<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.install(continuation)
            let work = Task {
                do {
                    outcome.resume(with: .success(try await body()))
                } catch {
                    outcome.resume(with: .failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if outcome.resume(with: .failure(NATSError.timeout(what))) {
                    onTimeout()
                    work.cancel()
                }
            }
        }
    }
}

/// Resumes a continuation with whichever outcome comes first (a result or a timeout), so
/// that a caller need not wait for work that ignores cancellation (a reply that never comes).
public final class FirstOutcome<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    public init() {}

    public func install(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Resumes with `result` unless resumed already; returns whether this call did.
    @discardableResult
    public func resume(with result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ state -> CheckedContinuation<T, any Error>? in
            defer { state = nil }
            return state
        }) else { return false }
        continuation.resume(with: result)
        return true
    }
}

/// A subscription's messages, in order. Ends when the connection closes; dropping or
/// cancelling it unsubscribes.
public struct NATSSubscription: AsyncSequence, Sendable {
    public typealias Element = NATSMessage
    public let sid: UInt64
    let messages: AsyncThrowingStream<NATSMessage, any Error>
    let connection: NATSConnection

    public func makeAsyncIterator() -> AsyncThrowingStream<NATSMessage, any Error>.AsyncIterator {
        messages.makeAsyncIterator()
    }

    /// Stops deliveries now.
    public func unsubscribe() async throws {
        if connection.core.removeSubscription(sid) {
            try await connection.write(Array("UNSUB \(sid)\r\n".utf8))
        }
    }
}
