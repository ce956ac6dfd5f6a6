import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Turns anything a handler throws into an ``APIError``.
///
/// Order matters: our own error types first, then Foundation's `DecodingError` (strict decoding
/// reports unknown fields through it), then the body's framing errors (NIO's HTTP parser,
/// the size limit), then Hummingbird's `HTTPError` (router 404/405, body limits), and
/// everything else becomes a 500 whose details go only to the log.
public enum ErrorMapping {
    /// - Parameter bodyLimit: the limit a too large body is reported against.
    /// - Parameter routes: tells a wrong method on a known path (405) from an unknown path (404).
    public static func apiError(for error: any Error, request: Request, bodyLimit: Int,
                                routes: RouteTable? = nil) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case is NIOTooManyBytesError:
            return .payloadTooLarge(limit: bodyLimit)
        case let error as HTTPParserError:
            // Raised while a handler reads the body: a chunk size that is not hex, a chunk
            // shorter or longer than announced, the connection half-closed before
            // Content-Length bytes arrived.
            return .badRequest("the request body is not valid HTTP/1.1 framing (\(error))")
        case let error as UnknownFieldError:
            return .unknownField(error.path)
        case let error as VectorCodecError:
            return .invalidVector("vector", error)
        case let error as DecodingError:
            return apiError(for: error)
        case let error as HTTPError:
            switch error.status {
            case .notFound where request.method == .connect:
                // No tunnels. NIO encodes every response to CONNECT without a body (it frames
                // them as a switch of protocols), so this one has the status and headers only.
                var error = APIError.methodNotAllowed(request.method, request.uri.path)
                error.closesConnection = true
                return error
            case .notFound:
                if let routes, !routes.methods(for: request.uri.path).isEmpty {
                    return .methodNotAllowed(request.method, request.uri.path)
                }
                return .routeNotFound(request.method, request.uri.path)
            case .methodNotAllowed: return .methodNotAllowed(request.method, request.uri.path)
            case .contentTooLarge: return .payloadTooLarge(limit: bodyLimit)
            default:
                if (400..<500).contains(error.status.code) {
                    return .init(status: error.status, code: "bad_request", message: error.body ?? error.status.reasonPhrase)
                }
                return .internalError
            }
        default:
            return .internalError
        }
    }

    static func apiError(for error: DecodingError) -> APIError {
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
            return .invalidField(path(context.codingPath), "expected \(describe(type))")
        case .dataCorrupted(let context):
            if let unknown = context.underlyingError as? UnknownFieldError {
                return .unknownField(unknown.path)
            }
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return .malformedJSON(detail ?? context.debugDescription)
            }
            return .invalidField(path(context.codingPath), context.debugDescription)
        @unknown default:
            return .malformedJSON("\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type, is UInt32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a value of type \(name)"
        }
    }
}

/// Middleware that renders every thrown error as the JSON error document, so no handler has
/// to, and so Hummingbird's default (an empty 500) never reaches a client.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let bodyLimit: Int
    let routes: RouteTable?

    public init(bodyLimit: Int, routes: RouteTable? = nil) {
        self.bodyLimit = bodyLimit
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = ErrorMapping.apiError(for: error, request: request, bodyLimit: bodyLimit, routes: routes)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: [
                    "error": "\(String(reflecting: error))", "path": "\(request.uri.path)",
                ])
            } else {
                context.logger.debug("request rejected", metadata: ["code": "\(apiError.code)"])
            }
            var response = apiError.errorResponse()
            if apiError.code == "method_not_allowed", let methods = routes?.methods(for: request.uri.path), !methods.isEmpty {
                response.headers[.allow] = methods.map(\.rawValue).joined(separator: ", ")  // RFC 9110 §15.5.6
            }
            if apiError.closesConnection {
                // The rest of the body is not worth reading (too large) or cannot be found
                // (broken framing): ConnectionGuardHandler closes after this response.
                response.headers[.connection] = "close"
            }
            return response
        }
    }
}
