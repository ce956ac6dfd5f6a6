import Foundation
import Hummingbird
import NIOCore

/// Reading JSON request bodies with the error model: invalid UTF-8, malformed JSON, unknown,
/// missing and mistyped fields all become ``APIError``s with stable codes.
public enum JSONBody {
    /// Throws `invalid_utf8` unless `bytes` is well-formed UTF-8. ASCII (the common case for JSON)
    /// is checked eight bytes at a time without allocating.
    public static func validateUTF8(_ bytes: UnsafeRawBufferPointer) throws(APIError) {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 { index += 1 }
        if index == count { return }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
        var iterator = rest.makeIterator()
        var decoder = Unicode.UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return
            case .error: throw APIError.invalidUTF8
            }
        }
    }

    /// Decodes `T` from a collected body. `T` should reject unknown keys in its `init(from:)`
    /// (see ``Swift/Decoder/rejectUnknownKeys(_:)``).
    public static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(APIError) -> T {
        let valid = buffer.withUnsafeReadableBytes { bytes in (try? validateUTF8(bytes)) != nil }
        if !valid { throw APIError.invalidUTF8 }
        if buffer.readableBytes == 0 { throw APIError.malformedJSON("the body is empty") }
        if let failure = buffer.withUnsafeReadableBytes({ JSONSyntax.failure($0) }) { throw failure }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch {
            let mapped = ErrorMappingForDecode.map(error)
            throw buffer.withUnsafeReadableBytes { NumberRangeDiagnosis.refined(mapped, body: $0) }
        }
    }
}

extension JSONBody {
    /// ``decode(_:from:)`` for bytes, e.g. ``VectorBodySplitter/Result/remainder``.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        try decode(T.self, from: ByteBuffer(bytes: bytes))
    }
}

private enum ErrorMappingForDecode {
    static func map(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as UnknownFieldError: return .unknownField(error.path)
        case let error as VectorCodecError: return .invalidVector("vector", error)
        case let error as DecodingError: return ErrorMapping.apiError(for: error)
        default: return .malformedJSON("\(error)")
        }
    }
}

extension Request {
    /// The body (already collected by ``BodyLimitMiddleware``) decoded strictly as `T`.
    public func decodeJSON<T: Decodable>(as type: T.Type, limit: Int) async throws -> T {
        let buffer = try await collectedBody(limit: limit)
        return try JSONBody.decode(T.self, from: buffer)
    }

    /// The whole body, or `payload_too_large` if it exceeds `limit`, or
    /// `bad_request` if its framing is broken or the connection ends before the body does.
    public func collectedBody(limit: Int) async throws(APIError) -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limit)
        } catch {
            throw APIError.badRequest("the request body could not be read: \(error)")
        }
    }
}

/// Enforces `server.max_body_bytes` for every route, before any handler runs: a declared
/// `Content-Length` over the limit is refused without reading the body, and a chunked body is
/// collected up to the limit (the handler then reads the buffered copy for free).
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    public let limit: Int

    public init(limit: Int) { self.limit = limit }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}

/// JSON responses.
public enum JSONResponse {
    /// A response with `bytes` as an `application/json` body.
    public static func make(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Encodes `value` with snake-case-free, sorted keys (stable output for clients and tests).
    public static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return make([UInt8](try encoder.encode(value)), status: status)
    }
}
