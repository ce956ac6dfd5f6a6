import Foundation
import Hummingbird
import MemoryClient

/// The daemon's error shape, `{"error": {"code": "...", "message": "..."}}`, so a client of
/// engram-prompt handles both services' errors the same way. `code` is stable; `message` is
/// for people.
public struct PromptAPIError: Error, Sendable, Equatable, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String

    public init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        errorResponse()
    }

    public func errorResponse() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jsonBody())))
    }

    public func jsonBody() -> [UInt8] {
        struct Envelope: Encodable {
            struct Body: Encodable { let code: String; let message: String }
            let error: Body
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Envelope(error: .init(code: code, message: message))))
            ?? Data(#"{"error":{"code":"internal_error","message":"error encoding failed"}}"#.utf8)
        return [UInt8](data)
    }
}

extension PromptAPIError {
    static func malformedJSON(_ detail: String) -> PromptAPIError {
        .init(status: .badRequest, code: "malformed_json", message: "request body is not valid JSON: \(detail)")
    }
    static func unknownField(_ path: String) -> PromptAPIError {
        .init(status: .badRequest, code: "unknown_field", message: "unknown field '\(path)'")
    }
    static func missingField(_ path: String) -> PromptAPIError {
        .init(status: .badRequest, code: "missing_field", message: "missing required field '\(path)'")
    }
    static func invalidField(_ path: String, _ detail: String) -> PromptAPIError {
        .init(status: .badRequest, code: "invalid_field", message: "invalid value for '\(path)': \(detail)")
    }
    static func payloadTooLarge(limit: Int) -> PromptAPIError {
        .init(status: .contentTooLarge, code: "payload_too_large", message: "request body exceeds the limit of \(limit) bytes")
    }
    static func unknownTemplate(_ name: String, known: [String]) -> PromptAPIError {
        .init(status: .badRequest, code: "unknown_template",
              message: "no template named '\(name)'; available: \(known.joined(separator: ", "))")
    }
    static let internalError = PromptAPIError(status: .internalServerError, code: "internal_error",
                                              message: "internal error; see the engram-prompt log")

    /// engramd could not be reached: 503 with the socket and what to do.
    static func daemonUnavailable(socket: String, _ detail: String) -> PromptAPIError {
        .init(status: .serviceUnavailable, code: "daemon_unavailable",
              message: "engramd is not reachable at \(socket) (\(detail)); start it or check daemon.socket. "
                  + "engram-prompt reconnects by itself on the next request")
    }

    /// A ``MemoryClientError`` as this API reports it: the daemon's own refusals keep their
    /// status and stable code (a client sees `namespace_not_found` either way).
    static func from(_ error: MemoryClientError, socket: String) -> PromptAPIError {
        switch error {
        case .server(let status, let code, let message):
            let mapped = HTTPResponse.Status(code: (400...599).contains(status) ? status : 502)
            return .init(status: mapped, code: code, message: message)
        case .unavailable(let detail):
            return .daemonUnavailable(socket: socket, detail)
        case .invalidResponse(let detail):
            return .init(status: .badGateway, code: "daemon_invalid_response", message: "engramd answered unexpectedly: \(detail)")
        case .invalidRequest(let detail):
            return .init(status: .badRequest, code: "invalid_request", message: detail)
        }
    }
}
