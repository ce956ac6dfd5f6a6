import Foundation
import Hummingbird
import MemoryServer

/// Reading and writing JSON bodies with the error model: an empty, non-UTF-8 or malformed body,
/// unknown, missing and mistyped fields become ``PromptAPIError``s with the daemon's codes.
/// Request types reject unknown keys with MemoryServer's ``Swift/Decoder/rejectUnknownKeys(_:)``.
/// Not MemoryServer's ``JSONBody``: engram-prompt keeps its own `invalid_field` message for a
/// mistyped value ("expected a value of type …") and checks for an empty body first.
enum RequestDecoding {
    /// The whole body, or `payload_too_large`.
    static func collect(_ request: Request, limit: Int) async throws(PromptAPIError) -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch {
            throw .payloadTooLarge(limit: limit)
        }
    }

    /// Decodes `T` strictly (its `init(from:)` calls ``Swift/Decoder/rejectUnknownKeys(_:)``).
    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(PromptAPIError) -> T {
        if buffer.readableBytes == 0 { throw .malformedJSON("the body is empty") }
        let data = Data(buffer: buffer)
        if String(validating: data, as: UTF8.self) == nil {
            throw .invalidUTF8
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as UnknownFieldError {
            throw .unknownField(error.path)
        } catch let error as PromptAPIError {
            throw error
        } catch let error as DecodingError {
            throw map(error)
        } catch {
            throw .malformedJSON("\(error)")
        }
    }

    static func map(_ error: DecodingError) -> PromptAPIError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            if keys.isEmpty { return "$" }
            return keys.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(path(context.codingPath, key))
        case .valueNotFound(_, let context):
            return .invalidField(path(context.codingPath), "null is not allowed here")
        case .typeMismatch(let type, let context):
            return .invalidField(path(context.codingPath), "expected a value of type \(type)")
        case .dataCorrupted(let context):
            if let unknown = context.underlyingError as? UnknownFieldError { return .unknownField(unknown.path) }
            if let api = context.underlyingError as? PromptAPIError { return api }
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return .malformedJSON(detail ?? context.debugDescription)
            }
            return .invalidField(path(context.codingPath), context.debugDescription)
        @unknown default:
            return .malformedJSON("\(error)")
        }
    }

    /// `value` as a JSON response (snake-case keys come from the types' CodingKeys).
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
