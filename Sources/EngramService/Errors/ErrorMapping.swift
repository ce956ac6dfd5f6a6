import EngramAPI
import EngramJSON
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
                                routes: RouteTable? = nil, internalError: APIError = .internalError) -> APIError {
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
            return APIError(decoding: error)
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
                return internalError
            }
        default:
            return internalError
        }
    }
}

/// Middleware that renders every thrown error as the JSON error document, so no handler has
/// to, and so Hummingbird's default (an empty 500) never reaches a client.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let bodyLimit: Int
    let routes: RouteTable?
    /// What a client is told of an unexpected failure (it names the log to read).
    let internalError: APIError

    public init(bodyLimit: Int, routes: RouteTable? = nil, internalError: APIError = .internalError) {
        self.bodyLimit = bodyLimit
        self.routes = routes
        self.internalError = internalError
    }

    /// Inlinable so that the daemon's request context specializes it: the success path, taken
    /// by every request, is only the call to `next`.
    @inlinable
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return response(for: error, to: request, logger: context.logger)
        }
    }

    /// The error document for `error`, logged (5xx as errors, the rest at debug level).
    @usableFromInline
    func response(for error: any Error, to request: Request, logger: Logger) -> Response {
        let apiError = ErrorMapping.apiError(for: error, request: request, bodyLimit: bodyLimit, routes: routes,
                                             internalError: internalError)
        if apiError.status.code >= 500 {
            logger.error("request failed", metadata: [
                "error": "\(String(reflecting: error))", "path": "\(request.uri.path)",
            ])
        } else {
            logger.debug("request rejected", metadata: ["code": "\(apiError.code)"])
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
