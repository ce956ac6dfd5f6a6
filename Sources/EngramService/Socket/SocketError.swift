#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the daemon could not take its socket. Descriptions are written for the operator.
/// engram-prompt gets the same cases from ``UnixSocketSetup`` and rewords them (its
/// `PromptSocketError`), so the descriptions here may name engramd and `ENGRAM_SOCKET`.
public enum SocketError: Error, Equatable, CustomStringConvertible {
    /// Another process is accepting connections on the path.
    case inUse(path: String)
    /// Another engramd holds the lock beside the socket (it is starting or running).
    case locked(path: String)
    /// Something other than a socket exists at the path; it is not ours to delete.
    case notASocket(path: String)
    /// A system call failed.
    case system(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .inUse(let path):
            return "another process is listening on \(path); stop it first (or choose another socket with --socket / ENGRAM_SOCKET)"
        case .locked(let path):
            return "another engramd holds \(path); stop it first (or choose another socket with --socket / ENGRAM_SOCKET)"
        case .notASocket(let path):
            return "\(path) exists and is not a socket; refusing to replace it"
        case .system(let operation, let path, let errno):
            return "\(operation) \(path) failed: \(String(cString: strerror(errno)))"
        }
    }
}
