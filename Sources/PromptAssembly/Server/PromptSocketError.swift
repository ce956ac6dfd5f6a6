import EngramService
import EngramAPI

/// Why engram-prompt could not take its socket.
///
/// The socket is taken by EngramService's ``UnixSocketSetup``, the same procedure engramd uses,
/// so the reasons are its ``SocketError`` cases; this wrapper only rewords the two whose
/// description names the service and its override (engram-prompt, `ENGRAM_PROMPT_SOCKET`
/// instead of engramd, `ENGRAM_SOCKET`). The other descriptions are the daemon's, word for word.
public struct PromptSocketError: Error, Equatable, CustomStringConvertible {
    /// The underlying reason, as ``UnixSocketSetup`` reported it.
    public let reason: SocketError

    public init(_ reason: SocketError) { self.reason = reason }

    /// Another process is accepting connections on the path.
    public static func inUse(path: String) -> PromptSocketError { .init(.inUse(path: path)) }
    /// Another engram-prompt holds the lock beside the socket (it is starting or running).
    public static func locked(path: String) -> PromptSocketError { .init(.locked(path: path)) }
    /// Something other than a socket exists at the path; it is not ours to delete.
    public static func notASocket(path: String) -> PromptSocketError { .init(.notASocket(path: path)) }

    public var description: String {
        switch reason {
        case .inUse(let path):
            return "another process is listening on \(path); stop it first (or choose another socket with --socket / ENGRAM_PROMPT_SOCKET)"
        case .locked(let path):
            return "another engram-prompt holds \(path); stop it first (or choose another socket with --socket / ENGRAM_PROMPT_SOCKET)"
        case .notASocket, .system:
            return reason.description
        }
    }
}
