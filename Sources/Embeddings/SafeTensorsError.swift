/// Why a safetensors file could not be used. Every case names the file, and where it applies
/// the tensor, so that an operator can tell a truncated download from a wrong model.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, inspected or mapped; `code` is the `errno` of the failing
    /// system call (0 when none failed, e.g. for a directory).
    case cannotOpen(path: String, reason: String, code: Int32)
    /// The file ends before the header or the tensor data it declares.
    case truncated(path: String, reason: String)
    /// The JSON header is missing, malformed or inconsistent.
    case invalidHeader(path: String, reason: String)
    /// One tensor's entry is malformed (dtype, shape or offsets).
    case invalidTensor(path: String, name: String, reason: String)
    /// A tensor the caller needs is not in the file.
    case missingTensor(path: String, name: String)
    /// A tensor exists but with another dtype or shape than the caller needs.
    case unexpectedTensor(path: String, name: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason, _):
            return "cannot open safetensors file \(path): \(reason)"
        case let .truncated(path, reason):
            return "safetensors file \(path) is truncated: \(reason)"
        case let .invalidHeader(path, reason):
            return "safetensors file \(path) has an invalid header: \(reason)"
        case let .invalidTensor(path, name, reason):
            return "safetensors file \(path): tensor '\(name)' is invalid: \(reason)"
        case let .missingTensor(path, name):
            return "safetensors file \(path) lacks tensor '\(name)'"
        case let .unexpectedTensor(path, name, expected, found):
            return "safetensors file \(path): tensor '\(name)' is \(found), expected \(expected)"
        }
    }
}
