/// Why a vector in a request was refused. Each case maps to a stable API error code.
public enum VectorCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a JSON array of numbers (position is a byte offset into the parsed text).
    case syntax(offset: Int, message: String)
    /// A component is NaN or ±Inf (from base64), or a JSON number outside float32's range.
    case nonFinite(index: Int)
    /// The vector has the wrong number of components.
    case dimensionMismatch(expected: Int, actual: Int)
    /// More components than any namespace can have; stops parsing early on hostile input.
    case tooManyComponents(limit: Int)
    /// The vector has no components.
    case empty
    /// `vector_b64` is not base64 of whole little-endian float32 values.
    case invalidBase64(String)

    /// The stable API error code.
    public var code: String {
        switch self {
        case .syntax, .tooManyComponents, .empty, .invalidBase64: return "invalid_vector"
        case .nonFinite: return "non_finite_vector"
        case .dimensionMismatch: return "dimension_mismatch"
        }
    }

    public var description: String {
        switch self {
        case .syntax(let offset, let message): return "not an array of numbers at byte \(offset): \(message)"
        case .nonFinite(let index): return "component \(index) is NaN, infinite or outside the float32 range"
        case .dimensionMismatch(let expected, let actual): return "expected \(expected) components, got \(actual)"
        case .tooManyComponents(let limit): return "more than \(limit) components"
        case .empty: return "the vector is empty"
        case .invalidBase64(let message): return "invalid base64 float32 data: \(message)"
        }
    }
}
