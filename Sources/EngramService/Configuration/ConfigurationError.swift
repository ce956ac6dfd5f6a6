/// Why a configuration could not be loaded. Every case names the key (file key and environment
/// variable) so the operator can find what to fix without reading source.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The file is not valid TOML.
    case syntax(path: String, message: String)
    /// A key that Engram does not know (most often a typo).
    case unknownKey(String)
    /// A key with a value of the wrong type or out of range.
    case invalidValue(key: String, message: String)
    /// Several problems at once: validation reports all of them, not just the first.
    case multiple([ConfigurationError])

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "cannot read configuration file \(path): \(reason)"
        case .syntax(let path, let message):
            return "configuration file \(path) is not valid TOML: \(message)"
        case .unknownKey(let key):
            return "unknown configuration key '\(key)' (--print-config lists every key)"
        case .invalidValue(let key, let message):
            return "invalid value for '\(key)': \(message)"
        case .multiple(let errors):
            return errors.map(\.description).joined(separator: "\n")
        }
    }
}
