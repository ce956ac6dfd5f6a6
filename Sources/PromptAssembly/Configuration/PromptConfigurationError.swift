/// Why the configuration cannot be used. Descriptions name the key (or environment variable)
/// and say what is expected, for the operator.
public enum PromptConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadableFile(path: String, reason: String)
    case syntax(path: String, message: String)
    case unknownKey(String)
    case invalidValue(key: String, message: String)
    /// Every problem found, so one run shows them all.
    case multiple([PromptConfigurationError])

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .syntax(let path, let message): "\(path) is not valid TOML: \(message)"
        case .unknownKey(let key): "unknown key '\(key)' (see config/engram-prompt.toml for the valid keys)"
        case .invalidValue(let key, let message): "\(key): \(message)"
        case .multiple(let problems): problems.map { "- \($0)" }.joined(separator: "\n")
        }
    }
}
