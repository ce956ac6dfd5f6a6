import Foundation

/// A JetStream object store bucket: large values (a node's snapshot) split into chunks on
/// `$O.<bucket>.C.<id>` with a metadata record on `$O.<bucket>.M.<name>` (base64url), in a
/// stream `OBJ_<bucket>` — the layout of NATS's object stores. Putting a name again replaces
/// it: the new chunks are written first, then the metadata, then the old chunks are purged,
/// so a reader sees the old object or the new one, never a mix.
public struct ObjectStoreBucket: Sendable {
    public let jetStream: JetStream
    public let name: String
    /// Bytes per chunk message (well under the server's default 1 MiB `max_payload`).
    public static let chunkSize = 128 * 1024

    /// What a stored object is.
    public struct Info: Sendable, Codable, Equatable {
        public var name: String
        public var size: Int
        public var chunks: Int
        /// Where its chunks are (`$O.<bucket>.C.<nuid>`).
        public var nuid: String
        /// Free-form metadata the writer attached (Engram: the stream sequence a snapshot covers).
        public var headers: [String: String]?
    }

    /// A bucket that exists (not checked here: a call on a missing one fails).
    public init(jetStream: JetStream, name: String) {
        self.jetStream = jetStream
        self.name = name
    }

    /// Creates the bucket (or opens it when it exists with the same settings).
    public static func create(_ name: String, in jetStream: JetStream, replicas: Int = 1) async throws -> ObjectStoreBucket {
        guard !name.isEmpty, name.utf8.allSatisfy({ KeyValueBucket.isKeyByte($0) && $0 != UInt8(ascii: ".") }) else {
            throw NATSError.invalidArgument("invalid bucket name \"\(name.prefix(64))\"")
        }
        let config: [String: any Sendable] = [
            "name": "OBJ_\(name)", "subjects": ["$O.\(name).C.>", "$O.\(name).M.>"], "num_replicas": replicas,
            "storage": "file", "allow_rollup_hdrs": true, "allow_direct": true, "discard": "new",
        ]
        _ = try await jetStream.call("$JS.API.STREAM.CREATE.OBJ_\(name)",
                                     body: try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]))
        return ObjectStoreBucket(jetStream: jetStream, name: name)
    }

    /// Stores `data` under `object` (replacing what was there), with `headers` as metadata.
    @discardableResult
    public func put(_ object: String, _ data: [UInt8], headers: [String: String]? = nil) async throws -> Info {
        let metaSubject = try self.metaSubject(object)
        let previous = try await info(object)
        let nuid = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        var chunks = 0
        var offset = 0
        repeat {
            let end = min(offset + Self.chunkSize, data.count)
            _ = try await jetStream.publish("$O.\(name).C.\(nuid)", payload: Array(data[offset..<end]))
            chunks += 1
            offset = end
        } while offset < data.count
        let info = Info(name: object, size: data.count, chunks: chunks, nuid: nuid, headers: headers)
        // Nats-Rollup: sub keeps only this metadata record for the name.
        _ = try await jetStream.publish(metaSubject, payload: Array(try JSONEncoder().encode(info)),
                                        headers: NATSHeaders([("Nats-Rollup", "sub")]))
        if let previous { try await purge(chunksOf: previous.nuid) }
        return info
    }

    /// What is stored under `object`, or nil.
    public func info(_ object: String) async throws -> Info? {
        guard let message = try await lastMessage(on: try metaSubject(object)) else { return nil }
        do {
            return try JSONDecoder().decode(Info.self, from: Data(message.data))
        } catch {
            throw NATSError.protocolViolation("unreadable object metadata for \(object): \(error)")
        }
    }

    /// The bytes stored under `object` with its metadata, or nil.
    /// - Throws: ``NATSError/protocolViolation(_:)`` when the chunks do not add up to the
    ///   recorded size (a damaged or half-purged object).
    public func get(_ object: String) async throws -> (info: Info, data: [UInt8])? {
        guard let info = try await info(object) else { return nil }
        var data: [UInt8] = []
        data.reserveCapacity(max(0, min(info.size, 1 << 30)))
        var sequence: UInt64 = 0
        for _ in 0..<info.chunks {
            guard let chunk = try await nextMessage(on: "$O.\(name).C.\(info.nuid)", after: sequence) else {
                throw NATSError.protocolViolation("object \(object): \(info.chunks) chunks recorded, fewer stored")
            }
            data += chunk.data
            sequence = chunk.sequence
        }
        guard data.count == info.size else {
            throw NATSError.protocolViolation("object \(object): \(data.count) bytes stored, \(info.size) recorded")
        }
        return (info, data)
    }

    // MARK: - Stream access

    private func metaSubject(_ object: String) throws -> String {
        guard !object.isEmpty, object.utf8.count <= 1024 else { throw NATSError.invalidArgument("invalid object name") }
        let encoded = Data(object.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return "$O.\(name).M.\(encoded)"
    }

    private func lastMessage(on subject: String) async throws -> JetStream.StoredMessage? {
        try await jetStream.storedMessage(in: "OBJ_\(name)", ["last_by_subj": subject])
    }

    private func nextMessage(on subject: String, after sequence: UInt64) async throws -> JetStream.StoredMessage? {
        try await jetStream.storedMessage(in: "OBJ_\(name)", ["seq": sequence + 1, "next_by_subj": subject])
    }

    private func purge(chunksOf nuid: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["filter": "$O.\(name).C.\(nuid)"])
        _ = try await jetStream.call("$JS.API.STREAM.PURGE.OBJ_\(name)", body: body)
    }
}
