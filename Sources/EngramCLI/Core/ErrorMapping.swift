import LMDB
import MemoryClient
import MemoryStore

extension CLIFailure {
    /// The exit status and message for a client error: the daemon's stable code is kept
    /// (`error: namespace_not_found: …`), and the status follows the HTTP status class.
    init(_ error: MemoryClientError) {
        switch error {
        case .server(let status, let code, let message):
            let exit: ExitStatus
            switch status {
            case 404: exit = .notFound
            case 409: exit = .conflict
            case 503: exit = .unavailable
            case 400..<500: exit = .invalidInput
            default: exit = .error
            }
            self.init(exit, code: code, message)
        case .unavailable(let message):
            self.init(.unavailable, code: "unavailable",
                      "cannot reach engramd: \(message) (is it running? see --socket / ENGRAM_SOCKET)")
        case .invalidResponse(let message):
            self.init(.error, code: "invalid_response", message)
        case .invalidRequest(let message):
            self.init(.invalidInput, code: "invalid_request", message)
        }
    }

    /// The exit status and message for an offline (`--data`) store error.
    init(store error: any Error, path: String) {
        switch error {
        case let error as MemoryStoreError:
            switch error {
            case .locked:
                self.init(.conflict, code: "locked",
                          "\(path) is held by another process (engramd?); run the command without --data "
                              + "to go through the daemon")
            case .namespaceNotFound: self.init(.notFound, code: "namespace_not_found", error.description)
            case .entryNotFound: self.init(.notFound, code: "not_found", error.description)
            case .invalidNamespaceName, .invalidArgument, .invalidVector:
                self.init(.invalidInput, code: "invalid_argument", error.description)
            case .namespaceConflict: self.init(.conflict, code: "conflict", error.description)
            case .cancelled: self.init(.interrupted, code: "cancelled", error.description)
            default: self.init(.error, code: "store_error", "\(path): \(error)")
            }
        case let error as LMDBError:
            self.init(.error, code: "storage_error", "\(path): \(error)")
        case let error as CLIFailure:
            self = error
        default:
            self.init(.error, "\(path): \(error)")
        }
    }
}
