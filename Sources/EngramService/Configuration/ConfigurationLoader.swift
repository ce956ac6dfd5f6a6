#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TOMLKit

/// Loads a ``ServiceConfiguration``: built-in defaults < the TOML file < environment
/// variables, every problem collected (unknown keys, wrong types, values out of range, then
/// the service's own checks) and reported together.
public enum ConfigurationLoader {
    /// The configuration from `file` (none: defaults) and `environment`.
    public static func load<C: ServiceConfiguration>(
        _ type: C.Type, file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> C {
        var loader = Loader<C>()
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw .unreadableFile(path: file, reason: error.localizedDescription)
            }
            try loader.apply(toml: text, path: file)
        }
        loader.apply(environment: environment)
        return try loader.validated()
    }

    /// The configuration a TOML text gives (no environment); for tests and tools.
    public static func parse<C: ServiceConfiguration>(_ type: C.Type, toml: String, path: String = "<string>")
        throws(ConfigurationError) -> C {
        var loader = Loader<C>()
        try loader.apply(toml: toml, path: path)
        return try loader.validated()
    }

    /// `configuration` as a TOML file that loads back to it, each key with its environment
    /// variable; secrets redacted.
    public static func render<C: ServiceConfiguration>(_ configuration: C) -> String {
        var out = C.renderHeader + "\n"
        var section = ""
        for setting in C.settings {
            if setting.section != section {
                section = setting.section
                out += "\n[\(section)]\n"
            }
            out += "\(setting.key) = \(value(of: setting, in: configuration))  # env: \(setting.environment)\n"
        }
        return out
    }

    private static func value<C>(of setting: Setting<C>, in configuration: C) -> String {
        switch setting.field {
        case .string(let path), .choice(let path, _): quoted(configuration[keyPath: path])
        case .secret(let path): configuration[keyPath: path].isEmpty ? "\"\"" : "\"<redacted>\""
        case .int(let path, _): String(configuration[keyPath: path])
        case .double(let path, _): String(configuration[keyPath: path])
        case .bool(let path): String(configuration[keyPath: path])
        case .mode(let path): "0o" + String(configuration[keyPath: path], radix: 8)
        case .ids(let path): "[" + configuration[keyPath: path].map(String.init).joined(separator: ", ") + "]"
        case .paths(let path), .names(let path): "[" + configuration[keyPath: path].map(quoted).joined(separator: ", ") + "]"
        }
    }

    /// A TOML basic string.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// The values of a TOML document by dotted path, `sections` walked into, in key order.
private enum TOMLEntries {
    static func leaves(of table: TOMLTable, sections: Set<String>, prefix: String = "") -> [(String, any TOMLValueConvertible)] {
        var result: [(String, any TOMLValueConvertible)] = []
        for key in table.keys.sorted() {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            guard let value = table[key] else { continue }
            if let sub = value.table, sections.contains(path) {
                result += leaves(of: sub, sections: sections, prefix: path)
            } else {
                result.append((path, value))
            }
        }
        return result
    }
}

/// One load in progress: the configuration so far and the problems met.
private struct Loader<C: ServiceConfiguration> {
    var configuration = C()
    var problems: [ConfigurationError] = []

    mutating func apply(toml text: String, path: String) throws(ConfigurationError) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(path: path, message: "\(error.description) (\(error.source))")
        } catch {
            throw .syntax(path: path, message: "\(error)")
        }
        let settings = C.settings
        let byPath = Dictionary(settings.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let sections = Set(settings.flatMap { setting -> [String] in
            let parts = setting.section.split(separator: ".")
            return (1...parts.count).map { parts[0..<$0].joined(separator: ".") }
        })
        for (path, value) in TOMLEntries.leaves(of: root, sections: sections) {
            if let setting = byPath[path] {
                set(setting, toml: value)
            } else {
                problems.append(.unknownKey(path))
            }
        }
    }

    private mutating func set(_ setting: Setting<C>, toml value: any TOMLValueConvertible) {
        let key = setting.path
        switch setting.field {
        case .string(let path), .secret(let path):
            guard let text = value.string else { return invalid(key, "expected a string") }
            configuration[keyPath: path] = text
        case .choice(let path, let choices):
            guard let text = value.string else { return invalid(key, "expected one of \(choices.joined(separator: ", "))") }
            setChoice(text, path: path, choices: choices, key: key)
        case .int(let path, let range):
            guard let number = value.int else { return invalid(key, "expected an integer") }
            setInt(number, path: path, range: range, key: key)
        case .double(let path, let range):
            guard let number = value.double ?? value.int.map(Double.init) else { return invalid(key, "expected a number") }
            setDouble(number, path: path, range: range, key: key)
        case .bool(let path):
            guard let flag = value.bool else { return invalid(key, "expected true or false") }
            configuration[keyPath: path] = flag
        case .mode(let path):
            guard let number = value.int else { return invalid(key, "expected permission bits such as 0o660") }
            setMode(Int64(number), path: path, key: key)
        case .ids(let path):
            guard let array = value.array else { return invalid(key, "expected an array of integers") }
            var ids: [UInt32] = []
            for element in array {
                guard let id = element.int, let id32 = UInt32(exactly: id) else {
                    return invalid(key, "expected ids between 0 and \(UInt32.max)")
                }
                ids.append(id32)
            }
            configuration[keyPath: path] = ids
        case .paths(let path):
            let paths = value.array?.map { $0.string } ?? [nil]
            guard paths.allSatisfy({ $0 != nil }) else { return invalid(key, "expected an array of paths") }
            configuration[keyPath: path] = paths.compactMap { $0 }
        case .names(let path):
            let names = value.array?.map { $0.string } ?? [nil]
            guard names.allSatisfy({ $0 != nil }) else { return invalid(key, "expected an array of strings") }
            configuration[keyPath: path] = names.compactMap { $0 }
        }
    }

    mutating func apply(environment: [String: String]) {
        for setting in C.settings {
            guard let text = environment[setting.environment] else { continue }
            let key = setting.environment
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            switch setting.field {
            case .string(let path), .secret(let path):
                configuration[keyPath: path] = text
            case .choice(let path, let choices):
                setChoice(trimmed, path: path, choices: choices, key: key)
            case .int(let path, let range):
                guard let number = Int(trimmed) else { invalid(key, "expected an integer, got '\(text)'"); continue }
                setInt(number, path: path, range: range, key: key)
            case .double(let path, let range):
                guard let number = Double(trimmed), number.isFinite else {
                    invalid(key, "expected a number, got '\(text)'")
                    continue
                }
                setDouble(number, path: path, range: range, key: key)
            case .bool(let path):
                switch trimmed.lowercased() {
                case "1", "true", "yes", "on": configuration[keyPath: path] = true
                case "0", "false", "no", "off", "": configuration[keyPath: path] = false
                default: invalid(key, "expected true or false, got '\(text)'")
                }
            case .mode(let path):
                // Octal, as chmod(1) takes it: "0660", "660" and "0o660" all mean rw-rw----.
                var digits = Substring(trimmed)
                if digits.hasPrefix("0o") { digits = digits.dropFirst(2) }
                guard let mode = Int64(digits, radix: 8) else {
                    invalid(key, "expected an octal mode such as 0660, got '\(text)'")
                    continue
                }
                setMode(mode, path: path, key: key)
            case .ids(let path):
                let ids = text.split(separator: ",", omittingEmptySubsequences: true)
                    .map { UInt32($0.trimmingCharacters(in: .whitespaces)) }
                guard ids.allSatisfy({ $0 != nil }) else {
                    invalid(key, "expected a comma-separated list of ids, got '\(text)'")
                    continue
                }
                configuration[keyPath: path] = ids.compactMap { $0 }
            case .paths(let path):
                // Separated by ':' as in PATH (a path may hold commas).
                configuration[keyPath: path] = text.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
            case .names(let path):
                configuration[keyPath: path] = text.split(separator: ",", omittingEmptySubsequences: true)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }
    }

    // MARK: setters shared by both layers

    private mutating func invalid(_ key: String, _ message: String) {
        problems.append(.invalidValue(key: key, message: message))
    }

    private mutating func setChoice(_ text: String, path: WritableKeyPath<C, String>, choices: [String], key: String) {
        let lowered = text.lowercased()
        guard choices.contains(lowered) else {
            return invalid(key, "'\(text)' is not one of \(choices.joined(separator: ", "))")
        }
        configuration[keyPath: path] = lowered
    }

    private mutating func setInt(_ number: Int, path: WritableKeyPath<C, Int>, range: ClosedRange<Int>, key: String) {
        guard range.contains(number) else {
            return invalid(key, "\(number) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        configuration[keyPath: path] = number
    }

    private mutating func setDouble(_ number: Double, path: WritableKeyPath<C, Double>, range: ClosedRange<Double>,
                                    key: String) {
        guard number.isFinite, range.contains(number) else {
            return invalid(key, "\(number) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        configuration[keyPath: path] = number
    }

    private mutating func setMode(_ mode: Int64, path: WritableKeyPath<C, UInt32>, key: String) {
        guard (0...0o777).contains(mode) else { return invalid(key, "permission bits must be between 0o000 and 0o777") }
        configuration[keyPath: path] = UInt32(mode)
    }

    func validated() throws(ConfigurationError) -> C {
        try ConfigurationError.throwing(problems + configuration.validationProblems())
        return configuration
    }
}

/// Whether `host` names the loopback interface: `localhost`, 127.0.0.0/8 or `::1`, written as
/// a listener binds it (no brackets). A listener that only accepts these cannot be reached
/// from another machine.
public func isLoopbackHost(_ host: String) -> Bool {
    let lowered = host.lowercased()
    if lowered == "localhost" { return true }
    var v4 = in_addr()
    if inet_pton(AF_INET, lowered, &v4) == 1 {
        return UInt32(bigEndian: v4.s_addr) >> 24 == 127
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, lowered, &v6) == 1 {
        return withUnsafeBytes(of: &v6) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
    }
    return false
}
