import Foundation

extension JetStream {
    /// A message fetched from a pull consumer, with what acknowledging it needs.
    public struct StreamMessage: Sendable, Equatable {
        public var message: NATSMessage
        /// Its sequence in the stream (from the acknowledgement subject).
        public var streamSequence: UInt64
        /// How many messages the consumer still had pending after it.
        public var pending: UInt64
        /// `$JS.ACK.…`: where ``JetStream/acknowledge(_:)`` replies.
        let ackSubject: String
    }

    /// Creates (or leaves as it is) a durable pull consumer on `stream`, delivering every
    /// message of `filterSubject` (all subjects when nil) from the start, each until
    /// acknowledged explicitly.
    public func createPullConsumer(stream: String, durable: String, filterSubject: String? = nil) async throws {
        try NATSConnection.check(subject: stream)
        try NATSConnection.check(subject: durable)
        var config: [String: any Sendable] = ["durable_name": durable, "ack_policy": "explicit", "deliver_policy": "all"]
        if let filterSubject { config["filter_subject"] = filterSubject }
        let body = try JSONSerialization.data(withJSONObject: ["stream_name": stream, "config": config], options: [.sortedKeys])
        _ = try await call("$JS.API.CONSUMER.CREATE.\(stream).\(durable)", body: body)
    }

    /// Replaces durable consumer `durable` of `stream` with one that delivers every message
    /// from stream sequence `startSequence` on, in order, without acknowledgements: for a
    /// reader that keeps its own position (a replica keeps it in its store).
    public func createOrderedPullConsumer(stream: String, durable: String, startSequence: UInt64) async throws {
        try NATSConnection.check(subject: stream)
        try NATSConnection.check(subject: durable)
        try await deleteConsumer(stream: stream, durable: durable)
        let config: [String: any Sendable] = [
            "durable_name": durable, "ack_policy": "none", "deliver_policy": "by_start_sequence",
            "opt_start_seq": max(startSequence, 1), "max_waiting": 16,
        ]
        let body = try JSONSerialization.data(withJSONObject: ["stream_name": stream, "config": config], options: [.sortedKeys])
        _ = try await call("$JS.API.CONSUMER.CREATE.\(stream).\(durable)", body: body)
    }

    /// Deletes a consumer; nothing when there is none.
    public func deleteConsumer(stream: String, durable: String) async throws {
        try NATSConnection.check(subject: stream)
        try NATSConnection.check(subject: durable)
        do {
            _ = try await call("$JS.API.CONSUMER.DELETE.\(stream).\(durable)", body: Data())
        } catch NATSError.jetStream(let code, _, _) where code == 404 {
            return
        }
    }

    /// Up to `batch` messages the consumer has not had acknowledged, waiting at most `wait` for
    /// the first; fewer (or none) when the stream has no more. Each must be acknowledged
    /// (``acknowledge(_:)``) or it is delivered again after the server's ack wait.
    /// With `noWait`, only the messages available now (the server answers at once).
    public func fetch(stream: String, durable: String, batch: Int, wait: Duration = .seconds(1),
                      noWait: Bool = false) async throws -> [StreamMessage] {
        try NATSConnection.check(subject: stream)
        try NATSConnection.check(subject: durable)
        guard (1...10_000).contains(batch) else { throw NATSError.invalidArgument("batch must be in 1...10000, got \(batch)") }
        let inbox = connection.core.inboxPrefix + "fetch." + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let replies = try await connection.subscribe(inbox)
        defer { Task { try? await replies.unsubscribe() } }
        let expires = wait.components.seconds * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000
        var request: [String: any Sendable] = ["batch": batch]
        if noWait { request["no_wait"] = true } else { request["expires"] = expires }
        let body = try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])
        try await connection.publish("$JS.API.CONSUMER.MSG.NEXT.\(stream).\(durable)", payload: Array(body), replyTo: inbox)
        // The server ends a short batch with a status message (404 no messages, 408 expired);
        // the overall timeout only guards against a server that says nothing.
        return try await connection.withTimeout(wait + timeout, "fetch from \(stream)/\(durable)") {
            var fetched: [StreamMessage] = []
            for try await message in replies {
                if let status = message.headers.status {
                    if status == 404 || status == 408 || status == 409 { break }
                    throw NATSError.jetStream(code: status, errorCode: 0, description: message.headers.statusDescription ?? "")
                }
                guard let ack = message.replyTo, let parsed = Self.parseAckSubject(ack) else {
                    throw NATSError.protocolViolation("a fetched message without a JetStream acknowledgement subject")
                }
                fetched.append(StreamMessage(message: message, streamSequence: parsed.streamSequence, pending: parsed.pending,
                                             ackSubject: ack))
                if fetched.count == batch { break }
            }
            return fetched
        }
    }

    /// Acknowledges a fetched message and waits for the server to confirm it, so that a
    /// consumer restarted afterwards does not see it again.
    public func acknowledge(_ message: StreamMessage) async throws {
        _ = try await connection.request(message.ackSubject, payload: Array("+ACK".utf8), timeout: timeout)
    }

    /// The stream sequence and pending count in `$JS.ACK.<stream>.<consumer>.<delivered>.
    /// <stream seq>.<consumer seq>.<time>.<pending>` (servers 2.9 and later may prefix a domain
    /// and account hash: the last five tokens are read).
    static func parseAckSubject(_ subject: String) -> (streamSequence: UInt64, pending: UInt64)? {
        let tokens = subject.split(separator: ".")
        guard tokens.count >= 9, tokens[0] == "$JS", tokens[1] == "ACK",
              let sequence = UInt64(tokens[tokens.count - 4]), let pending = UInt64(tokens[tokens.count - 1]) else { return nil }
        return (sequence, pending)
    }
}
