#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why engram-prompt could not take its socket. Descriptions are written for the operator.
public enum PromptSocketError: Error, Equatable, CustomStringConvertible {
    /// Another process is accepting connections on the path.
    case inUse(path: String)
    /// Another engram-prompt holds the lock beside the socket (it is starting or running).
    case locked(path: String)
    /// Something other than a socket exists at the path; it is not ours to delete.
    case notASocket(path: String)
    /// A system call failed.
    case system(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .inUse(let path):
            return "another process is listening on \(path); stop it first (or choose another socket with --socket / ENGRAM_PROMPT_SOCKET)"
        case .locked(let path):
            return "another engram-prompt holds \(path); stop it first (or choose another socket with --socket / ENGRAM_PROMPT_SOCKET)"
        case .notASocket(let path):
            return "\(path) exists and is not a socket; refusing to replace it"
        case .system(let operation, let path, let errno):
            return "\(operation) \(path) failed: \(String(cString: strerror(errno)))"
        }
    }
}
