/// Everything a ``MemoryClient`` call can throw.
///
/// Callers switch on the case to decide what to do: `.server` is the daemon's considered
/// answer (retrying the same request gives the same answer; `code` is the API's stable error
/// code such as `not_found` or `dimension_mismatch`), `.unavailable` means the daemon could not
/// be reached or the connection broke (retry later, or start the daemon), and
/// `.invalidResponse` means something answered that does not speak the Engram API (a version
/// mismatch or a bug, never a transient state).
public enum MemoryClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The daemon answered with an error document `{"error": {"code", "message"}}`. A non-2xx
    /// answer without that document gets the code `http_<status>`.
    case server(status: Int, code: String, message: String)
    /// No connection, or it failed before a complete response arrived (daemon down, socket
    /// missing, permission denied, timeout, connection reset).
    case unavailable(String)
    /// A response that is not well-formed HTTP or not the JSON the route documents.
    case invalidResponse(String)
    /// The request could not be encoded (for example a NaN in a JSON-array vector).
    case invalidRequest(String)

    /// The stable API code for `.server`; `nil` otherwise.
    public var code: String? {
        if case .server(_, let code, _) = self { return code }
        return nil
    }

    public var description: String {
        switch self {
        case .server(let status, let code, let message): "\(status) \(code): \(message)"
        case .unavailable(let message): "engramd unavailable: \(message)"
        case .invalidResponse(let message): "invalid response from engramd: \(message)"
        case .invalidRequest(let message): "invalid request: \(message)"
        }
    }
}
