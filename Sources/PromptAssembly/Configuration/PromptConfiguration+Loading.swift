import Foundation
import TOMLKit

extension PromptConfiguration {
    /// Defaults, then `file` (when given), then `environment`, then validation. Throws every
    /// problem found at once (``PromptConfigurationError/multiple(_:)``).
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(PromptConfigurationError) -> PromptConfiguration {
        var loader = Loader()
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

    /// TOML text alone (no environment), validated; what tests and `--print-config` round trips use.
    public static func parse(toml: String, path: String = "<string>") throws(PromptConfigurationError) -> PromptConfiguration {
        var loader = Loader()
        try loader.apply(toml: toml, path: path)
        return try loader.validated()
    }
}

/// Applies the layers to a configuration, collecting problems instead of stopping at the first.
private struct Loader {
    var configuration = PromptConfiguration()
    var problems: [PromptConfigurationError] = []
    let settings = ConfigurationSetting.all()

    mutating func apply(toml text: String, path: String) throws(PromptConfigurationError) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(path: path, message: "\(error.description) (\(error.source))")
        } catch {
            throw .syntax(path: path, message: "\(error)")
        }
        let byPath = Dictionary(uniqueKeysWithValues: settings.map { ($0.path, $0) })
        let sections = Set(settings.flatMap { setting -> [String] in
            let parts = setting.section.split(separator: ".")
            return (1...parts.count).map { parts[0..<$0].joined(separator: ".") }
        })
        var found: [(ConfigurationSetting, any TOMLValueConvertible)] = []
        func walk(_ table: TOMLTable, prefix: String) {
            for key in table.keys.sorted() {
                let full = prefix.isEmpty ? key : "\(prefix).\(key)"
                guard let value = table[key] else { continue }
                if let sub = value.table, sections.contains(full) {
                    walk(sub, prefix: full)
                } else if let setting = byPath[full] {
                    found.append((setting, value))
                } else {
                    problems.append(.unknownKey(full))
                }
            }
        }
        walk(root, prefix: "")
        for (setting, value) in found { set(setting, toml: value) }
    }

    private mutating func set(_ setting: ConfigurationSetting, toml value: any TOMLValueConvertible) {
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
        }
    }

    mutating func apply(environment: [String: String]) {
        for setting in settings {
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
            }
        }
    }

    // MARK: setters shared by both layers

    private mutating func invalid(_ key: String, _ message: String) {
        problems.append(.invalidValue(key: key, message: message))
    }

    private mutating func setChoice(_ text: String, path: WritableKeyPath<PromptConfiguration, String>,
                                    choices: [String], key: String) {
        let lowered = text.lowercased()
        guard choices.contains(lowered) else {
            return invalid(key, "'\(text)' is not one of \(choices.joined(separator: ", "))")
        }
        configuration[keyPath: path] = lowered
    }

    private mutating func setInt(_ number: Int, path: WritableKeyPath<PromptConfiguration, Int>,
                                 range: ClosedRange<Int>, key: String) {
        guard range.contains(number) else {
            return invalid(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        configuration[keyPath: path] = number
    }

    private mutating func setDouble(_ number: Double, path: WritableKeyPath<PromptConfiguration, Double>,
                                    range: ClosedRange<Double>, key: String) {
        guard number.isFinite, range.contains(number) else {
            return invalid(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        configuration[keyPath: path] = number
    }

    private mutating func setMode(_ mode: Int64, path: WritableKeyPath<PromptConfiguration, UInt32>, key: String) {
        guard (0...0o777).contains(mode) else { return invalid(key, "permission bits must be between 0o000 and 0o777") }
        configuration[keyPath: path] = UInt32(mode)
    }

    func validated() throws(PromptConfigurationError) -> PromptConfiguration {
        let all = problems + configuration.validationProblems()
        if all.count == 1 { throw all[0] }
        if !all.isEmpty { throw .multiple(all) }
        return configuration
    }
}
