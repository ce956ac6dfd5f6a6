import EngramJSON
import Foundation

// `POST /v1/namespaces/{ns}/memories/batch`: many memories in one request (a bulk load).

/// The body of a batch write as a client sends it: `items` (each a `remember` body without
/// the audit fields: text or vector, tags, metadata, source, times, thread…), `dedupe`, and
/// the audit fields `actor` and `reason`, which apply to every item.
public struct BatchRememberRequest: Sendable, Hashable, Encodable {
    public var items: [RememberRequest]
    public var dedupe: BatchDedupe?
    public var actor: String?
    public var reason: String?

    public init(items: [RememberRequest], dedupe: BatchDedupe? = nil, actor: String? = nil, reason: String? = nil) {
        self.items = items
        self.dedupe = dedupe
        self.actor = actor
        self.reason = reason
    }
}

/// A batch write's body as the daemon reads it: the envelope strictly (malformed JSON, an
/// unknown member or a missing `items` fails the request), each item on its own (a bad item
/// is reported at its index and the others are still stored).
package struct BatchRememberBody: Sendable {
    package var items: [Result<RememberRequest, APIError>]
    package var dedupe: BatchDedupe
    package var actor: String?
    package var reason: String?

    /// Reads `bytes`. O(bytes); each item is split from its vector and decoded like the body
    /// of `POST …/memories`.
    /// - Throws: `invalid_utf8`, `malformed_json` (anywhere in the body), `unknown_field`,
    ///   `missing_field` (`items`), `invalid_field` (`items` not an array, a bad `dedupe`,
    ///   `actor` or `reason` not a string), `payload_too_large` beyond `maxItems`.
    package static func read(_ bytes: [UInt8], maxItems: Int) throws(APIError) -> BatchRememberBody {
        let envelope = try RememberEnvelope.read(bytes, maxItems: maxItems)
        let items = envelope.itemRanges.map { range in
            Result { () throws(APIError) in try item(Array(bytes[range])) }
        }
        return BatchRememberBody(items: items, dedupe: envelope.dedupe, actor: envelope.actor, reason: envelope.reason)
    }

    /// One item: its vector taken out (``VectorBodySplitter``), the rest decoded strictly.
    package static func item(_ bytes: [UInt8]) throws(APIError) -> RememberRequest {
        guard bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") else {
            throw APIError.invalidField("item", "expected a JSON object with remember's fields")
        }
        let split = try VectorBodySplitter.split(bytes)
        var request = try RequestJSON.decode(StrictRemember.self, from: split.remainder).request
        request.vector = split.vector
        return request
    }

    /// A `remember` body without the audit fields, refusing unknown members.
    struct StrictRemember: Decodable {
        var request: RememberRequest

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(allowing: RememberRequest.memberNames)
            request = try RememberRequest(from: decoder)
        }
    }
}

/// The envelope of a batch body, walked once with ``JSONReader``: the items' byte ranges and
/// the scalar members.
private struct RememberEnvelope {
    var itemRanges: [Range<Int>] = []
    var dedupe = BatchDedupe.none
    var actor: String?
    var reason: String?

    static func read(_ bytes: [UInt8], maxItems: Int) throws(APIError) -> RememberEnvelope {
        try RequestJSON.checkSyntax(bytes)
        do {
            return try bytes.withUnsafeBytes { raw throws -> RememberEnvelope in
                var reader = JSONReader(raw)
                var envelope = RememberEnvelope()
                var sawItems = false
                guard reader.peek() == UInt8(ascii: "{") else { throw APIError.invalidField("", "expected a JSON object") }
                var problem: APIError?
                var seen = SeenKeys()
                try reader.forEachMember { reader, key throws(JSONReader.Failure) in
                    guard problem == nil else { return try reader.skipValue() }
                    switch key.text {
                    case "items":
                        try seen.first(0, key, reader)
                        sawItems = true
                        guard reader.peek() == UInt8(ascii: "[") else {
                            problem = .invalidField("items", "expected an array of memories")
                            return try reader.skipValue()
                        }
                        try reader.forEachElement { reader throws(JSONReader.Failure) in
                            reader.skipWhitespace()
                            let start = reader.position
                            try reader.skipValue()
                            // Refused as soon as it is too long: the ranges cost memory per item.
                            guard envelope.itemRanges.count < maxItems else {
                                if problem == nil { problem = Self.tooManyItems(maxItems) }
                                return
                            }
                            envelope.itemRanges.append(start..<reader.position)
                        }
                    case "dedupe":
                        try seen.first(1, key, reader)
                        let choices = BatchDedupe.allCases.map(\.rawValue).joined(separator: ", ")
                        guard let text = try Self.string(&reader), let dedupe = BatchDedupe(rawValue: text) else {
                            problem = .invalidField("dedupe", "expected one of \(choices)")
                            return
                        }
                        envelope.dedupe = dedupe
                    case "actor", "reason":
                        try seen.first(key.text == "actor" ? 2 : 3, key, reader)
                        guard let text = try Self.string(&reader) else {
                            problem = .invalidField(key.text, "expected a string")
                            return
                        }
                        if key.text == "actor" { envelope.actor = text } else { envelope.reason = text }
                    default:
                        problem = .unknownField(key.text)
                        try reader.skipValue()
                    }
                }
                if let problem { throw problem }
                guard sawItems else { throw APIError.missingField("items") }
                return envelope
            }
        } catch let error as APIError {
            throw error
        } catch let failure as JSONReader.Failure {
            throw APIError.malformedJSON(failure.description)
        } catch {
            throw APIError.internalError
        }
    }

    static func tooManyItems(_ maxItems: Int) -> APIError {
        APIError(status: .contentTooLarge, code: "payload_too_large", message: "a batch takes at most \(maxItems) items")
    }

    /// The string value at the reader, or `nil` (the value skipped) when it is not a string.
    private static func string(_ reader: inout JSONReader) throws(JSONReader.Failure) -> String? {
        guard reader.peek() == UInt8(ascii: "\"") else {
            try reader.skipValue()
            return nil
        }
        return try reader.string()
    }
}

/// What became of one item: `status` is `created`, `failed`, or for `dedupe: "learn"` one of
/// learn's actions (`created`, `reinforced`, `matched_pinned`, `rejected`, `pending`,
/// `conflicting`); `id` the entry created, reinforced or matched (for `rejected`, the entry
/// holding the correction); `sequence` the write's audit sequence (absent when nothing was
/// written); `error` why a failed item was not stored.
public struct BatchItemDocument: Sendable, Hashable, Codable {
    public var index: Int
    public var status: String
    public var id: UInt64?
    public var sequence: UInt64?
    public var similarity: Double?
    public var error: ErrorDocument.Body?

    public init(index: Int, status: String, id: UInt64? = nil, sequence: UInt64? = nil, similarity: Double? = nil,
                error: ErrorDocument.Body? = nil) {
        self.index = index
        self.status = status
        self.id = id
        self.sequence = sequence
        self.similarity = similarity
        self.error = error
    }

    /// The status of an item that was not stored.
    public static let failedStatus = "failed"
}

/// The response of a batch write: one result per item in order, how many new entries were
/// created and how many items failed, the highest audit sequence written (absent when
/// nothing was written), and
/// `namespace_created` when the batch created the namespace.
public struct BatchRememberResponse: Sendable, Hashable, Codable {
    public var results: [BatchItemDocument]
    public var created: Int
    public var failed: Int
    public var lastSequence: UInt64?
    public var namespaceCreated: Bool?

    public init(results: [BatchItemDocument], namespaceCreated: Bool? = nil) {
        self.results = results
        created = results.filter { ["created", "pending", "conflicting"].contains($0.status) }.count
        failed = results.filter { $0.status == BatchItemDocument.failedStatus }.count
        lastSequence = results.compactMap(\.sequence).max()
        self.namespaceCreated = namespaceCreated
    }

    enum CodingKeys: String, CodingKey {
        case results, created, failed
        case lastSequence = "last_sequence"
        case namespaceCreated = "namespace_created"
    }
}
