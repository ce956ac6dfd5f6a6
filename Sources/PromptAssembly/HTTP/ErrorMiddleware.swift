import Foundation
import Hummingbird
import MemoryServer

/// Renders everything a handler throws as the JSON error document (so no route answers with
/// an empty body or Hummingbird's plain text): our own errors as they are, Hummingbird's router
/// and body-limit errors with stable codes, anything else as a 500 whose details go to the log.
struct PromptErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let bodyLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = Self.apiError(for: error, request: request, bodyLimit: bodyLimit)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: [
                    "error": "\(String(reflecting: error))", "path": "\(request.uri.path)", "code": "\(apiError.code)",
                ])
            } else {
                context.logger.debug("request rejected", metadata: ["code": "\(apiError.code)"])
            }
            return apiError.errorResponse()
        }
    }

    static func apiError(for error: any Error, request: Request, bodyLimit: Int) -> PromptAPIError {
        switch error {
        case let error as PromptAPIError:
            return error
        case let error as HTTPError:
            switch error.status {
            case .notFound:
                return .init(status: .notFound, code: "route_not_found", message: "no route for \(request.method) \(request.uri.path)")
            case .methodNotAllowed:
                return .init(status: .methodNotAllowed, code: "method_not_allowed",
                             message: "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge:
                return .payloadTooLarge(limit: bodyLimit)
            default:
                if (400..<500).contains(error.status.code) {
                    return .init(status: error.status, code: "bad_request", message: error.body ?? error.status.reasonPhrase)
                }
                return .promptInternalError
            }
        default:
            return .promptInternalError
        }
    }
}
