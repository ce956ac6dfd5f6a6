import Foundation
import Hummingbird
import EngramService
import EngramAPI

/// Reading and writing JSON bodies with the error model: an empty, non-UTF-8 or malformed body,
/// unknown, missing and mistyped fields become ``PromptAPIError``s with the daemon's codes.
/// Request types reject unknown keys with EngramAPI's `Decoder.rejectUnknownKeys(_:)`; bodies
/// decode exactly as engramd's do.
enum RequestDecoding {
    /// The whole body, or `payload_too_large`.
    static func collect(_ request: Request, limit: Int) async throws(PromptAPIError) -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch {
            throw .payloadTooLarge(limit: limit)
        }
    }

    /// `T` decoded strictly from a collected body, under the API's error model (see
    /// ``RequestJSON/decode(_:from:)``).
    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(PromptAPIError) -> T {
        try RequestJSON.decode(T.self, from: Array(buffer.readableBytesView))
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok,
                                       headers extra: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
