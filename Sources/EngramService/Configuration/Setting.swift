import Foundation

/// One configuration key of a service: where it lives in the TOML file, the environment
/// variable that overrides it, and the property it sets. A service's list of settings is the
/// single source for loading (``ConfigurationLoader``), `--print-config`, and the tests that
/// keep the shipped example file complete.
public struct Setting<C> {
    /// What values a key takes, and the property it writes. Ranges are checked when a value
    /// is read, so a setting cannot hold a value outside them.
    public enum Field {
        case string(WritableKeyPath<C, String>)
        /// One of a fixed list of (lower-case) strings.
        case choice(WritableKeyPath<C, String>, [String])
        case int(WritableKeyPath<C, Int>, ClosedRange<Int>)
        case double(WritableKeyPath<C, Double>, ClosedRange<Double>)
        case bool(WritableKeyPath<C, Bool>)
        /// Permission bits: an integer in TOML (`0o660`), octal text in the environment.
        case mode(WritableKeyPath<C, UInt32>)
        /// A string `--print-config` prints redacted.
        case secret(WritableKeyPath<C, String>)
        /// User or group ids: a TOML array of integers, comma-separated in the environment.
        case ids(WritableKeyPath<C, [UInt32]>)
        /// Paths: a TOML array of strings, `:`-separated in the environment (as `PATH`).
        case paths(WritableKeyPath<C, [String]>)
        /// Names: a TOML array of strings, comma-separated in the environment.
        case names(WritableKeyPath<C, [String]>)
    }

    /// `server`, `server.tcp`, …
    public let section: String
    public let key: String
    public let environment: String
    public let field: Field

    public init(_ section: String, _ key: String, environment: String, _ field: Field) {
        self.section = section
        self.key = key
        self.environment = environment
        self.field = field
    }

    /// `section.key`, as errors name it.
    public var path: String { "\(section).\(key)" }
}

/// A service's configuration: its defaults (`init()`), its settings, and the checks that
/// involve several settings at once.
public protocol ServiceConfiguration: Sendable, Equatable {
    init()
    /// Every key, in the order `--print-config` writes them.
    static var settings: [Setting<Self>] { get }
    /// The first line `--print-config` writes.
    static var renderHeader: String { get }
    /// Problems that no single setting shows (a port without a host, paths that collide…).
    func validationProblems() -> [ConfigurationError]
}

extension ServiceConfiguration {
    /// An `invalidValue` problem naming the key both ways, `server.socket / ENGRAM_SOCKET`.
    public static func problem(_ path: String, _ message: String) -> ConfigurationError {
        let environment = settings.first { $0.path == path }?.environment
        return .invalidValue(key: environment.map { "\(path) / \($0)" } ?? path, message: message)
    }

    /// Built-in defaults < `file` (none: defaults only) < `environment`.
    /// - Throws: every problem found (see ``ConfigurationLoader``).
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> Self {
        try ConfigurationLoader.load(Self.self, file: file, environment: environment)
    }

    /// The configuration a TOML text gives, without the environment.
    public static func parse(toml: String, path: String = "<string>") throws(ConfigurationError) -> Self {
        try ConfigurationLoader.parse(Self.self, toml: toml, path: path)
    }

    /// `--print-config`: the effective configuration as TOML that loads back to it, secrets
    /// redacted.
    public func renderTOML() -> String {
        ConfigurationLoader.render(self)
    }

    /// Throws every validation problem (one, or `.multiple`).
    public func validate() throws(ConfigurationError) {
        try ConfigurationError.throwing(validationProblems())
    }
}

extension ConfigurationError {
    /// Throws `problems` (nothing when empty, the one problem alone, or `.multiple`).
    static func throwing(_ problems: [ConfigurationError]) throws(ConfigurationError) {
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw .multiple(problems) }
    }
}
