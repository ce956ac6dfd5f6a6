import Foundation

/// A JetStream key-value bucket: a stream `KV_<bucket>` on subjects `$KV.<bucket>.<key>` that
/// keeps the last value of each key, with compare-and-set through the expected-sequence
/// header and expiry through the stream's maximum age. Replication leases live in one.
public struct KeyValueBucket: Sendable {
    public let jetStream: JetStream
    public let name: String

    /// An entry: its value and its revision (the stream sequence that wrote it).
    public struct Entry: Sendable, Equatable {
        public var value: [UInt8]
        public var revision: UInt64
    }

    /// A bucket that exists (not checked here: a call on a missing one fails).
    public init(jetStream: JetStream, name: String) {
        self.jetStream = jetStream
        self.name = name
    }

    /// Creates the bucket (or opens it when it exists with the same settings).
    /// - Parameter ttl: how long an entry lives after it was last written (nil: forever).
    public static func create(_ name: String, in jetStream: JetStream, ttl: Duration? = nil,
                              replicas: Int = 1) async throws -> KeyValueBucket {
        guard !name.isEmpty, name.utf8.allSatisfy({ Self.isKeyByte($0) && $0 != UInt8(ascii: ".") }) else {
            throw NATSError.invalidArgument("invalid bucket name \"\(name.prefix(64))\"")
        }
        var config: [String: any Sendable] = [
            "name": "KV_\(name)", "subjects": ["$KV.\(name).>"], "num_replicas": replicas, "storage": "file",
            "max_msgs_per_subject": 1, "discard": "new", "allow_direct": true, "deny_delete": true, "allow_rollup_hdrs": true,
        ]
        if let ttl { config["max_age"] = ttl.components.seconds * 1_000_000_000 + ttl.components.attoseconds / 1_000_000_000 }
        let body = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        _ = try await jetStream.call("$JS.API.STREAM.CREATE.KV_\(name)", body: body)
        return KeyValueBucket(jetStream: jetStream, name: name)
    }

    /// The current entry of `key`, or nil (never written, deleted or expired).
    public func get(_ key: String) async throws -> Entry? {
        try Self.check(key: key)
        guard let message = try await jetStream.storedMessage(in: "KV_\(name)", ["last_by_subj": "$KV.\(name).\(key)"]) else {
            return nil
        }
        if let operation = message.headers["KV-Operation"], operation == "DEL" || operation == "PURGE" { return nil }
        return Entry(value: message.data, revision: message.sequence)
    }

    /// Writes `value` whatever the key holds; returns the new revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) async throws -> UInt64 {
        try Self.check(key: key)
        return try await jetStream.publish("$KV.\(name).\(key)", payload: value).sequence
    }

    /// Writes `value` only if the key's current revision is `revision` (0: the key has never
    /// been written); returns the new revision.
    /// - Throws: ``NATSError/jetStream(code:errorCode:description:)`` with error code 10071 when
    ///   another writer got there first.
    @discardableResult
    public func update(_ key: String, _ value: [UInt8], expectedRevision revision: UInt64) async throws -> UInt64 {
        try Self.check(key: key)
        return try await jetStream.publish("$KV.\(name).\(key)", payload: value, expectedLastSubjectSequence: revision).sequence
    }

    /// Writes `value` only if the key holds nothing (never written, deleted or expired);
    /// returns the new revision.
    /// - Throws: ``NATSError/jetStream(code:errorCode:description:)`` with error code 10071 when
    ///   the key holds a value.
    @discardableResult
    public func create(_ key: String, _ value: [UInt8]) async throws -> UInt64 {
        try Self.check(key: key)
        do {
            return try await update(key, value, expectedRevision: 0)
        } catch NATSError.jetStream(_, let code, _) where code == 10071 {
            // A delete marker is the subject's last message: create over it.
            guard let last = try await jetStream.storedMessage(in: "KV_\(name)", ["last_by_subj": "$KV.\(name).\(key)"]),
                  let operation = last.headers["KV-Operation"], operation == "DEL" || operation == "PURGE" else { throw NATSError.jetStream(code: 400, errorCode: 10071, description: "wrong last sequence: the key holds a value") }
            return try await update(key, value, expectedRevision: last.sequence)
        }
    }

    /// Deletes `key` only if its current revision is `revision` (a delete marker).
    /// - Throws: error code 10071 when the key was written since.
    public func delete(_ key: String, expectedRevision revision: UInt64) async throws {
        try Self.check(key: key)
        _ = try await jetStream.publish("$KV.\(name).\(key)", payload: [], expectedLastSubjectSequence: revision,
                                        headers: NATSHeaders([("KV-Operation", "DEL")]))
    }

    /// Deletes `key` (a delete marker; ``get(_:)`` then answers nil).
    public func delete(_ key: String) async throws {
        try Self.check(key: key)
        _ = try await jetStream.publish("$KV.\(name).\(key)", payload: [], headers: NATSHeaders([("KV-Operation", "DEL")]))
    }

    static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: ".")
    }

    /// Keys as NATS KV allows them: letters, digits, `-_=.`, not starting or ending with a dot.
    static func check(key: String) throws(NATSError) {
        guard !key.isEmpty, key.utf8.count <= 1024, key.utf8.allSatisfy(isKeyByte), key.first != ".", key.last != "." else {
            throw .invalidArgument("invalid key \"\(key.prefix(64))\"")
        }
    }
}
