import Foundation
public import HTTPTypes

/// The one error shape the API returns: `{"error": {"code": "...", "message": "..."}}`.
///
/// `code` is stable and meant for programs (clients switch on it); `message` is for people and
/// may change. A struct rather than an enum so the domain routes can add codes (for example
/// `namespace_not_found`) without touching this module; the codes defined here are the
/// transport-level ones.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Whether the connection is closed after this error: the request's body was refused
    /// unread (over the body limit) or its framing is broken, so the next request on the
    /// connection cannot be found.
    public var closesConnection = false

    public init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// The encoded error document.
    public func jsonBody() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding two strings cannot fail; the fallback keeps the signature non-throwing.
        let data = (try? encoder.encode(ErrorDocument(code: code, message: message)))
            ?? Data(#"{"error":{"code":"internal_error","message":"error encoding failed"}}"#.utf8)
        return [UInt8](data)
    }
}

extension APIError {
    /// The body is not JSON.
    public static func malformedJSON(_ detail: String) -> APIError {
        .init(status: .badRequest, code: "malformed_json", message: "request body is not valid JSON: \(detail)")
    }
    /// The request is not valid HTTP/1.1 (request line, headers or body framing).
    public static func badRequest(_ detail: String) -> APIError {
        var error = APIError(status: .badRequest, code: "bad_request", message: detail)
        error.closesConnection = true
        return error
    }
    /// The body is not UTF-8 (JSON must be).
    public static let invalidUTF8 = APIError(status: .badRequest, code: "invalid_utf8", message: "request body is not valid UTF-8")
    /// A field the endpoint does not define; rejected so typos don't silently do nothing.
    public static func unknownField(_ path: String) -> APIError {
        .init(status: .badRequest, code: "unknown_field", message: "unknown field '\(path)'")
    }
    /// A required field is absent.
    public static func missingField(_ path: String) -> APIError {
        .init(status: .badRequest, code: "missing_field", message: "missing required field '\(path)'")
    }
    /// A field is present but has the wrong type or an unacceptable value.
    public static func invalidField(_ path: String, _ detail: String) -> APIError {
        .init(status: .badRequest, code: "invalid_field", message: "invalid value for '\(path)': \(detail)")
    }
    /// The body exceeds `server.max_body_bytes`.
    public static func payloadTooLarge(limit: Int) -> APIError {
        var error = APIError(status: .contentTooLarge, code: "payload_too_large",
                             message: "request body exceeds the limit of \(limit) bytes")
        error.closesConnection = true
        return error
    }
    /// A vector that cannot be used (syntax, NaN/Inf, wrong dimension). See ``VectorCodecError``.
    public static func invalidVector(_ field: String, _ error: VectorCodecError) -> APIError {
        .init(status: .badRequest, code: error.code, message: "\(field): \(error.description)")
    }
    /// No such route.
    public static func routeNotFound(_ method: HTTPRequest.Method, _ path: String) -> APIError {
        .init(status: .notFound, code: "route_not_found", message: "no route for \(method) \(path)")
    }
    /// The route exists but not with this method.
    public static func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String) -> APIError {
        .init(status: .methodNotAllowed, code: "method_not_allowed", message: "\(method) is not allowed on \(path)")
    }
    /// A bug or an unexpected failure; details go to the log, not to the client.
    public static let internalError = APIError(status: .internalServerError, code: "internal_error",
                                               message: "internal error; see the daemon log")
}

/// `{"error": {"code": …, "message": …}}`: the body of every error response.
public struct ErrorDocument: Sendable, Hashable, Codable {
    public struct Body: Sendable, Hashable, Codable {
        /// Stable, for programs.
        public var code: String
        /// For people; may change.
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Body

    public init(code: String, message: String) {
        error = Body(code: code, message: message)
    }
}
