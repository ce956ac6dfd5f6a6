import Foundation
import Hummingbird
import Logging

/// Turns anything a handler throws into an ``APIError``.
///
/// Order matters: our own error types first, then Foundation's `DecodingError` (strict decoding
/// reports unknown fields through it), then Hummingbird's `HTTPError` (router 404/405, body
/// limits), and everything else becomes a 500 whose details go only to the log.
public enum ErrorMapping {
    public static func apiError(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as UnknownFieldError:
            return .unknownField(error.path)
        case let error as VectorCodecError:
            return .invalidVector("vector", error)
        case let error as DecodingError:
            return apiError(for: error)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .routeNotFound(request.method, request.uri.path)
            case .methodNotAllowed: return .methodNotAllowed(request.method, request.uri.path)
            case .contentTooLarge: return .payloadTooLarge(limit: -1)
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

    public init(bodyLimit: Int) { self.bodyLimit = bodyLimit }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = ErrorMapping.apiError(for: error, request: request)
            if apiError.code == "payload_too_large" { apiError = .payloadTooLarge(limit: bodyLimit) }
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: [
                    "error": "\(String(reflecting: error))", "path": "\(request.uri.path)",
                ])
            } else {
                context.logger.debug("request rejected", metadata: ["code": "\(apiError.code)"])
            }
            return apiError.errorResponse()
        }
    }
}
