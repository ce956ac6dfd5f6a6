extension PromptConfiguration {
    /// The effective configuration as TOML, as `engram-prompt --print-config` writes it. It
    /// parses back to an equal value, except that a non-empty `upstream.api_key` is printed as
    /// `"<redacted>"` (secrets do not belong on terminals and in logs).
    public func renderTOML() -> String {
        var out = "# Effective engram-prompt configuration (defaults < config file < ENGRAM_PROMPT_* environment).\n"
        var section = ""
        for setting in ConfigurationSetting.all() {
            if setting.section != section {
                section = setting.section
                out += "\n[\(section)]\n"
            }
            out += "\(setting.key) = \(value(of: setting))  # env: \(setting.environment)\n"
        }
        return out
    }

    private func value(of setting: ConfigurationSetting) -> String {
        switch setting.field {
        case .string(let path), .choice(let path, _): Self.quoted(self[keyPath: path])
        case .secret(let path): self[keyPath: path].isEmpty ? "\"\"" : "\"<redacted>\""
        case .int(let path, _): String(self[keyPath: path])
        case .double(let path, _): String(self[keyPath: path])
        case .bool(let path): String(self[keyPath: path])
        case .mode(let path): "0o" + String(self[keyPath: path], radix: 8)
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
