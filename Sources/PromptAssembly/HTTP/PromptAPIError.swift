import Hummingbird
import MemoryClient
import EngramAPI

/// engram-prompt's errors are the daemon's ``APIError``: the same struct, the same
/// `{"error": {"code": "...", "message": "..."}}` document, so a client handles both services'
/// errors the same way. `code` is stable; `message` is for people. The transport-level codes
/// (`malformed_json`, `unknown_field`, `missing_field`, `invalid_field`, `invalid_utf8`,
/// `payload_too_large`) come from EngramAPI unchanged; the ones below are engram-prompt's own.
public typealias PromptAPIError = APIError

extension PromptAPIError {
    static func unknownTemplate(_ name: String, known: [String]) -> PromptAPIError {
        .init(status: .badRequest, code: "unknown_template",
              message: "no template named '\(name)'; available: \(known.joined(separator: ", "))")
    }

    /// A bug or an unexpected failure, pointing at engram-prompt's log rather than the daemon's
    /// (``APIError/internalError`` says "see the daemon log": use this one in PromptAssembly).
    static let promptInternalError = PromptAPIError(status: .internalServerError, code: "internal_error",
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
