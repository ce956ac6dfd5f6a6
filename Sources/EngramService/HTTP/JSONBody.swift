import EngramAPI
import Foundation
import Hummingbird
import NIOCore

/// Strict decoding of a collected body (see ``RequestJSON/decode(_:from:)``).
public enum JSONBody {
    public static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(APIError) -> T {
        try RequestJSON.decode(T.self, from: Array(buffer.readableBytesView))
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

    /// Inlinable so that the daemon's request context specializes it (it runs on every request).
    @inlinable
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
