extension ServerConfiguration {
    /// The effective configuration as TOML that ``ServerConfiguration/parse(toml:path:)`` reads
    /// back to an equal value; what `engramd --print-config` writes.
    public func renderTOML() -> String {
        func quoted(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                            + String(scalar.value, radix: 16)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        func list(_ ids: [UInt32]) -> String { "[" + ids.map(String.init).joined(separator: ", ") + "]" }
        let listener = tcp ?? TCPListener()
        return """
            # Effective engramd configuration (defaults < config file < ENGRAM_* environment).
            [server]
            socket = \(quoted(socketPath))
            socket_mode = 0o\(String(socketMode, radix: 8))
            allowed_uids = \(list(allowedUIDs))
            allowed_gids = \(list(allowedGIDs))
            max_body_bytes = \(maxBodyBytes)
            log_level = \(quoted(logLevel.rawValue))
            blocking_threads = \(blockingThreads)
            idle_timeout_seconds = \(idleTimeoutSeconds)

            [server.tcp]
            enabled = \(tcp != nil)
            host = \(quoted(listener.host))
            port = \(listener.port)

            [storage]
            data_dir = \(quoted(dataDirectory))
            durability = \(quoted(durability.rawValue))
            backup_dirs = [\(backupDirectories.map(quoted).joined(separator: ", "))]

            [embedding]
            model_dir = \(quoted(modelDirectory))

            """
    }
}
