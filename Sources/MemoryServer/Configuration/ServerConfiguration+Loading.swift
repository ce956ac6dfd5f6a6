import Foundation
import Logging
import TOMLKit

extension ServerConfiguration {
    /// Loads the effective configuration: defaults, then the file (when given), then the
    /// environment, then validation. Throws ``ConfigurationError`` listing every problem found.
    public static func load(
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> ServerConfiguration {
        var draft = Draft()
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw .unreadableFile(path: file, reason: error.localizedDescription)
            }
            try draft.apply(toml: text, path: file)
        }
        try draft.apply(environment: environment)
        return try draft.validated()
    }

    /// Parses TOML text (no environment) and validates it; used by tests and `--print-config`.
    public static func parse(toml: String, path: String = "<string>") throws(ConfigurationError) -> ServerConfiguration {
        var draft = Draft()
        try draft.apply(toml: toml, path: path)
        return try draft.validated()
    }
}

/// Raw, unvalidated values as the layers set them. Kept separate from ``ServerConfiguration``
/// because the TCP listener's three keys can arrive from different layers (the file enables it,
/// the environment moves the port), and because validation must see the final combination.
struct Draft {
    var configuration = ServerConfiguration()
    var tcpEnabled = false
    var tcpHost = "127.0.0.1"
    var tcpPort = 7878
    var problems: [ConfigurationError] = []

    // MARK: TOML

    mutating func apply(toml text: String, path: String) throws(ConfigurationError) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(path: path, message: "\(error.description) (\(error.source))")
        } catch {
            throw .syntax(path: path, message: "\(error)")
        }
        let known = Set(ConfigurationKey.all.map(\.path))
        let sections = Set(ConfigurationKey.all.flatMap { key -> [String] in
            let parts = key.path.split(separator: ".")
            return (1..<parts.count).map { parts[0..<$0].joined(separator: ".") }
        })
        var values: [String: TOMLValueConvertible] = [:]
        func walk(_ table: TOMLTable, prefix: String) {
            for key in table.keys {
                let fullKey = prefix.isEmpty ? key : "\(prefix).\(key)"
                guard let value = table[key] else { continue }
                if let sub = value.table, sections.contains(fullKey) {
                    walk(sub, prefix: fullKey)
                } else if known.contains(fullKey) {
                    values[fullKey] = value
                } else {
                    problems.append(.unknownKey(fullKey))
                }
            }
        }
        walk(root, prefix: "")

        func string(_ key: ConfigurationKey) -> String? {
            guard let value = values[key.path] else { return nil }
            guard let string = value.string else {
                problems.append(.invalidValue(key: key.path, message: "expected a string"))
                return nil
            }
            return string
        }
        func int(_ key: ConfigurationKey) -> Int? {
            guard let value = values[key.path] else { return nil }
            guard let int = value.int else {
                problems.append(.invalidValue(key: key.path, message: "expected an integer"))
                return nil
            }
            return int
        }
        func ids(_ key: ConfigurationKey) -> [UInt32]? {
            guard let value = values[key.path] else { return nil }
            guard let array = value.array else {
                problems.append(.invalidValue(key: key.path, message: "expected an array of integers"))
                return nil
            }
            var result: [UInt32] = []
            for element in array {
                guard let id = element.int, let id32 = UInt32(exactly: id) else {
                    problems.append(.invalidValue(key: key.path, message: "expected ids between 0 and \(UInt32.max)"))
                    return nil
                }
                result.append(id32)
            }
            return result
        }

        if let v = string(.socket) { configuration.socketPath = v }
        if let v = int(.socketMode) { setSocketMode(Int64(v), key: .socketMode) }
        if let v = ids(.allowedUIDs) { configuration.allowedUIDs = v }
        if let v = ids(.allowedGIDs) { configuration.allowedGIDs = v }
        if let v = int(.maxBodyBytes) { configuration.maxBodyBytes = v }
        if let v = string(.logLevel) { setLogLevel(v, key: .logLevel) }
        if let v = int(.blockingThreads) { configuration.blockingThreads = v }
        if let v = int(.idleTimeout) { configuration.idleTimeoutSeconds = v }
        if let value = values[ConfigurationKey.tcpEnabled.path] {
            if let flag = value.bool { tcpEnabled = flag } else {
                problems.append(.invalidValue(key: ConfigurationKey.tcpEnabled.path, message: "expected true or false"))
            }
        }
        if let v = string(.tcpHost) { tcpHost = v }
        if let v = int(.tcpPort) { tcpPort = v }
        if let v = string(.dataDirectory) { configuration.dataDirectory = v }
        if let v = string(.durability) { setDurability(v, key: .durability) }
        if let value = values[ConfigurationKey.backupDirectories.path] {
            if let array = value.array, case let paths = array.compactMap(\.string), paths.count == array.count {
                configuration.backupDirectories = paths
            } else {
                problems.append(.invalidValue(key: ConfigurationKey.backupDirectories.path, message: "expected an array of paths"))
            }
        }
        if let v = string(.modelDirectory) { configuration.modelDirectory = v }
    }

    // MARK: Environment

    mutating func apply(environment: [String: String]) throws(ConfigurationError) {
        func value(_ key: ConfigurationKey) -> String? { environment[key.environment] }
        func int(_ key: ConfigurationKey) -> Int? {
            guard let text = value(key) else { return nil }
            guard let int = Int(text.trimmingCharacters(in: .whitespaces)) else {
                problems.append(.invalidValue(key: key.environment, message: "expected an integer, got '\(text)'"))
                return nil
            }
            return int
        }
        func ids(_ key: ConfigurationKey) -> [UInt32]? {
            guard let text = value(key) else { return nil }
            var result: [UInt32] = []
            for part in text.split(separator: ",", omittingEmptySubsequences: true) {
                guard let id = UInt32(part.trimmingCharacters(in: .whitespaces)) else {
                    problems.append(.invalidValue(key: key.environment, message: "expected a comma-separated list of ids, got '\(text)'"))
                    return nil
                }
                result.append(id)
            }
            return result
        }

        if let v = value(.socket) { configuration.socketPath = v }
        if let text = value(.socketMode) {
            // Octal, as chmod(1) takes it: "0660", "660" and "0o660" all mean rw-rw----.
            var digits = Substring(text.trimmingCharacters(in: .whitespaces))
            if digits.hasPrefix("0o") { digits = digits.dropFirst(2) }
            if let mode = Int64(digits, radix: 8) {
                setSocketMode(mode, key: .socketMode, name: ConfigurationKey.socketMode.environment)
            } else {
                problems.append(.invalidValue(key: ConfigurationKey.socketMode.environment, message: "expected an octal mode such as 0660, got '\(text)'"))
            }
        }
        if let v = ids(.allowedUIDs) { configuration.allowedUIDs = v }
        if let v = ids(.allowedGIDs) { configuration.allowedGIDs = v }
        if let v = int(.maxBodyBytes) { configuration.maxBodyBytes = v }
        if let v = value(.logLevel) { setLogLevel(v, key: .logLevel, name: ConfigurationKey.logLevel.environment) }
        if let v = int(.blockingThreads) { configuration.blockingThreads = v }
        if let v = int(.idleTimeout) { configuration.idleTimeoutSeconds = v }
        if let text = value(.tcpEnabled) {
            switch text.lowercased() {
            case "1", "true", "yes", "on": tcpEnabled = true
            case "0", "false", "no", "off", "": tcpEnabled = false
            default:
                problems.append(.invalidValue(key: ConfigurationKey.tcpEnabled.environment, message: "expected true or false, got '\(text)'"))
            }
        }
        if let v = value(.tcpHost) { tcpHost = v }
        if let v = int(.tcpPort) { tcpPort = v }
        if let v = value(.dataDirectory) { configuration.dataDirectory = v }
        if let v = value(.backupDirectories) {
            // Separated by ':' as in PATH (a path may hold commas).
            configuration.backupDirectories = v.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
        }
        if let v = value(.durability) { setDurability(v, key: .durability, name: ConfigurationKey.durability.environment) }
        if let v = value(.modelDirectory) { configuration.modelDirectory = v }
    }

    // MARK: Shared setters

    private mutating func setSocketMode(_ mode: Int64, key: ConfigurationKey, name: String? = nil) {
        guard (0...0o777).contains(mode) else {
            problems.append(.invalidValue(key: name ?? key.path, message: "permission bits must be between 0o000 and 0o777"))
            return
        }
        configuration.socketMode = UInt32(mode)
    }

    private mutating func setLogLevel(_ text: String, key: ConfigurationKey, name: String? = nil) {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append(.invalidValue(key: name ?? key.path, message: "'\(text)' is not one of \(names)"))
            return
        }
        configuration.logLevel = level
    }

    private mutating func setDurability(_ text: String, key: ConfigurationKey, name: String? = nil) {
        guard let durability = ServerConfiguration.Durability(rawValue: text.lowercased()) else {
            problems.append(.invalidValue(key: name ?? key.path, message: "'\(text)' is not one of sync, relaxed"))
            return
        }
        configuration.durability = durability
    }

    // MARK: Validation

    func validated() throws(ConfigurationError) -> ServerConfiguration {
        var problems = self.problems
        var result = configuration
        result.tcp = tcpEnabled ? .init(host: tcpHost, port: tcpPort) : nil
        problems += result.validationProblems()
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw .multiple(problems) }
        return result
    }
}
