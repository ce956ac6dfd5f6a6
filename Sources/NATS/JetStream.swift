import Foundation

/// JetStream through a ``NATSConnection``: stream management and acknowledged publishing, on
/// the `$JS.API` request subjects (<https://docs.nats.io/reference/reference-protocols/nats_api_reference>).
public struct JetStream: Sendable {
    public let connection: NATSConnection
    /// How long a JetStream API call or a publish acknowledgement may take.
    public var timeout: Duration

    public init(_ connection: NATSConnection, timeout: Duration = .seconds(5)) {
        self.connection = connection
        self.timeout = timeout
    }

    /// What a stream keeps and where (the subset of the server's stream configuration Engram uses).
    public struct StreamConfig: Sendable, Codable, Equatable {
        public enum Storage: String, Sendable, Codable { case file, memory }
        public var name: String
        public var subjects: [String]
        public var replicas: Int
        public var storage: Storage
        /// How long `Nats-Msg-Id` values are remembered for de-duplication, in nanoseconds.
        public var duplicateWindow: Int64?

        public init(name: String, subjects: [String], replicas: Int = 1, storage: Storage = .file,
                    duplicateWindow: Duration? = nil) {
            self.name = name
            self.subjects = subjects
            self.replicas = replicas
            self.storage = storage
            self.duplicateWindow = duplicateWindow.map {
                $0.components.seconds * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000
            }
        }

        enum CodingKeys: String, CodingKey {
            case name, subjects, storage
            case replicas = "num_replicas"
            case duplicateWindow = "duplicate_window"
        }
    }

    /// The server's acknowledgement of a published message.
    public struct PublishAck: Sendable, Decodable, Equatable {
        public var stream: String
        /// The message's sequence number in the stream.
        public var sequence: UInt64
        /// The message repeated a `Nats-Msg-Id` seen within the duplicate window: not stored again.
        public var duplicate: Bool

        enum CodingKeys: String, CodingKey { case stream, sequence = "seq", duplicate }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            stream = try c.decode(String.self, forKey: .stream)
            sequence = try c.decode(UInt64.self, forKey: .sequence)
            duplicate = try c.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
        }
    }

    /// Creates a stream, or does nothing when one of that name has the same configuration.
    /// - Throws: ``NATSError/jetStream(code:errorCode:description:)`` (e.g. a different
    ///   configuration under the name), ``NATSError/noResponders(_:)`` without JetStream.
    public func createStream(_ config: StreamConfig) async throws {
        try NATSConnection.check(subject: config.name)
        _ = try await call("$JS.API.STREAM.CREATE.\(config.name)", body: JSONEncoder().encode(config))
    }

    /// Deletes a stream and its messages.
    public func deleteStream(_ name: String) async throws {
        try NATSConnection.check(subject: name)
        _ = try await call("$JS.API.STREAM.DELETE.\(name)", body: Data())
    }

    /// Publishes and waits for the stream's acknowledgement.
    /// - Parameters:
    ///   - messageID: `Nats-Msg-Id`: a repeat within the duplicate window is acknowledged as
    ///     ``PublishAck/duplicate`` and not stored twice.
    ///   - expectedLastSubjectSequence: `Nats-Expected-Last-Subject-Sequence`: the stream
    ///     refuses the message unless the last one on `subject` has this sequence (0: none yet),
    ///     so that only a writer that has seen the subject's latest state appends.
    /// - Throws: ``NATSError/jetStream(code:errorCode:description:)`` for a refusal
    ///   (10071: wrong last sequence), ``NATSError/noResponders(_:)`` when no stream takes
    ///   `subject`, ``NATSError/timeout(_:)``.
    public func publish(_ subject: String, payload: [UInt8], messageID: String? = nil,
                        expectedLastSubjectSequence: UInt64? = nil, headers: NATSHeaders = NATSHeaders()) async throws -> PublishAck {
        var headers = headers
        if let messageID { headers.append("Nats-Msg-Id", messageID) }
        if let expectedLastSubjectSequence { headers.append("Nats-Expected-Last-Subject-Sequence", String(expectedLastSubjectSequence)) }
        let reply = try await connection.request(subject, payload: payload, headers: headers.fields.isEmpty ? nil : headers,
                                                 timeout: timeout)
        try Self.throwIfError(reply.payload)
        do {
            return try JSONDecoder().decode(PublishAck.self, from: Data(reply.payload))
        } catch {
            throw NATSError.protocolViolation("unreadable publish acknowledgement: \(error)")
        }
    }

    /// When `stream` was created (the server's timestamp, as it wrote it: it names this
    /// incarnation of the stream) and the sequence of its last message (0 when it has none).
    public func streamState(_ stream: String) async throws -> (created: String, lastSequence: UInt64) {
        try NATSConnection.check(subject: stream)
        struct Info: Decodable {
            struct State: Decodable { var last_seq: UInt64 }
            var created: String
            var state: State
        }
        let reply = try await call("$JS.API.STREAM.INFO.\(stream)", body: Data())
        do {
            let info = try JSONDecoder().decode(Info.self, from: Data(reply))
            return (info.created, info.state.last_seq)
        } catch {
            throw NATSError.protocolViolation("unreadable stream info: \(error)")
        }
    }

    /// The sequence of the last message on `subject` in `stream`, 0 when it has none.
    public func lastSequence(in stream: String, subject: String) async throws -> UInt64 {
        try NATSConnection.check(subject: stream)
        try NATSConnection.check(subject: subject)
        return try await storedMessage(in: stream, ["last_by_subj": subject])?.sequence ?? 0
    }

    /// A message read back from a stream (`STREAM.MSG.GET`).
    struct StoredMessage {
        var sequence: UInt64
        var headers: NATSHeaders
        var data: [UInt8]
    }

    /// The message of `stream` that `query` selects (`last_by_subj`, or `seq` with
    /// `next_by_subj`), or nil when there is none.
    func storedMessage(in stream: String, _ query: [String: any Sendable]) async throws -> StoredMessage? {
        let body = try JSONSerialization.data(withJSONObject: query, options: [.sortedKeys])
        let reply = try await connection.request("$JS.API.STREAM.MSG.GET.\(stream)", payload: Array(body), timeout: timeout)
        struct Response: Decodable {
            struct Message: Decodable {
                var seq: UInt64
                var data: String?
                var hdrs: String?
            }
            struct APIError: Decodable { var code: Int }
            var message: Message?
            var error: APIError?
        }
        let response: Response
        do {
            response = try JSONDecoder().decode(Response.self, from: Data(reply.payload))
        } catch {
            throw NATSError.protocolViolation("unreadable stored-message reply: \(error)")
        }
        if response.error?.code == 404 { return nil }
        try Self.throwIfError(reply.payload)
        guard let message = response.message, let data = Data(base64Encoded: message.data ?? "") else {
            throw NATSError.protocolViolation("a stored-message reply without a readable message")
        }
        var headers = NATSHeaders()
        if let encoded = message.hdrs {
            guard let bytes = Data(base64Encoded: encoded) else { throw NATSError.protocolViolation("undecodable stored headers") }
            headers = try NATSHeaders(parsing: ArraySlice(bytes))
        }
        return StoredMessage(sequence: message.seq, headers: headers, data: Array(data))
    }

    func call(_ subject: String, body: Data) async throws -> [UInt8] {
        let reply = try await connection.request(subject, payload: Array(body), timeout: timeout)
        try Self.throwIfError(reply.payload)
        return reply.payload
    }

    /// Throws the `error` member of a JetStream API response, if it has one.
    static func throwIfError(_ payload: [UInt8]) throws {
        struct Envelope: Decodable {
            struct APIError: Decodable {
                var code: Int
                var errCode: Int?
                var description: String?
                enum CodingKeys: String, CodingKey { case code, errCode = "err_code", description }
            }
            var error: APIError?
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(payload)), let error = envelope.error else { return }
        throw NATSError.jetStream(code: error.code, errorCode: error.errCode ?? 0, description: error.description ?? "")
    }
}
