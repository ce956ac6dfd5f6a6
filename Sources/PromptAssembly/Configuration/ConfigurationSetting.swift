import Logging

/// One configuration key: where it lives in the TOML file, its environment variable, and the
/// property it sets. The single source for loading, `--print-config` and documentation checks.
struct ConfigurationSetting {
    typealias C = PromptConfiguration

    /// What values a key takes, and the property it writes.
    enum Field {
        case string(WritableKeyPath<C, String>)
        /// One of a fixed list of strings.
        case choice(WritableKeyPath<C, String>, [String])
        case int(WritableKeyPath<C, Int>, ClosedRange<Int>)
        case double(WritableKeyPath<C, Double>, ClosedRange<Double>)
        case bool(WritableKeyPath<C, Bool>)
        /// Permission bits: an integer in TOML (`0o660`), octal text in the environment.
        case mode(WritableKeyPath<C, UInt32>)
        /// A string that is printed redacted by `--print-config`.
        case secret(WritableKeyPath<C, String>)
    }

    /// `server`, `server.tcp`, …
    let section: String
    let key: String
    let environment: String
    let field: Field

    var path: String { "\(section).\(key)" }

    /// Every key, in the order of `config/engram-prompt.toml`.
    static func all() -> [ConfigurationSetting] {
        let levels = Logger.Level.allCases.map(\.rawValue)
        return [
            .init(section: "server", key: "socket", environment: "ENGRAM_PROMPT_SOCKET", field: .string(\.socketPath)),
            .init(section: "server", key: "socket_mode", environment: "ENGRAM_PROMPT_SOCKET_MODE", field: .mode(\.socketMode)),
            .init(section: "server", key: "max_body_bytes", environment: "ENGRAM_PROMPT_MAX_BODY_BYTES",
                  field: .int(\.maxBodyBytes, 1024...1_073_741_824)),
            .init(section: "server", key: "log_level", environment: "ENGRAM_PROMPT_LOG_LEVEL", field: .choice(\.logLevelName, levels)),
            .init(section: "server.tcp", key: "enabled", environment: "ENGRAM_PROMPT_TCP_ENABLED", field: .bool(\.tcpEnabled)),
            .init(section: "server.tcp", key: "host", environment: "ENGRAM_PROMPT_TCP_HOST", field: .string(\.tcpHost)),
            .init(section: "server.tcp", key: "port", environment: "ENGRAM_PROMPT_TCP_PORT", field: .int(\.tcpPort, 0...65535)),
            .init(section: "daemon", key: "socket", environment: "ENGRAM_PROMPT_DAEMON_SOCKET", field: .string(\.daemonSocket)),
            .init(section: "daemon", key: "timeout_seconds", environment: "ENGRAM_PROMPT_DAEMON_TIMEOUT_SECONDS",
                  field: .int(\.daemonTimeoutSeconds, 1...3600)),
            .init(section: "daemon", key: "actor", environment: "ENGRAM_PROMPT_DAEMON_ACTOR", field: .string(\.daemonActor)),
            .init(section: "prompt", key: "templates_dir", environment: "ENGRAM_PROMPT_TEMPLATES_DIR",
                  field: .string(\.templatesDirectory)),
            .init(section: "prompt", key: "template", environment: "ENGRAM_PROMPT_TEMPLATE", field: .string(\.defaultTemplate)),
            .init(section: "prompt", key: "system_template", environment: "ENGRAM_PROMPT_SYSTEM_TEMPLATE",
                  field: .string(\.systemTemplate)),
            .init(section: "prompt", key: "k", environment: "ENGRAM_PROMPT_K", field: .int(\.k, 1...1000)),
            .init(section: "prompt", key: "min_confidence", environment: "ENGRAM_PROMPT_MIN_CONFIDENCE",
                  field: .double(\.minConfidence, 0...1)),
            .init(section: "prompt", key: "min_score", environment: "ENGRAM_PROMPT_MIN_SCORE",
                  field: .double(\.minScore, 0...1)),
            .init(section: "prompt", key: "token_budget", environment: "ENGRAM_PROMPT_TOKEN_BUDGET",
                  field: .int(\.tokenBudget, 1...10_000_000)),
            .init(section: "prompt", key: "bytes_per_token", environment: "ENGRAM_PROMPT_BYTES_PER_TOKEN",
                  field: .double(\.bytesPerToken, 0.5...64)),
            .init(section: "prompt", key: "duplicate_threshold", environment: "ENGRAM_PROMPT_DUPLICATE_THRESHOLD",
                  field: .double(\.duplicateThreshold, 0...1)),
            .init(section: "upstream", key: "base_url", environment: "ENGRAM_PROMPT_UPSTREAM_BASE_URL",
                  field: .string(\.upstreamBaseURL)),
            .init(section: "upstream", key: "api_key", environment: "ENGRAM_PROMPT_UPSTREAM_API_KEY",
                  field: .secret(\.upstreamAPIKey)),
            .init(section: "upstream", key: "model", environment: "ENGRAM_PROMPT_UPSTREAM_MODEL", field: .string(\.upstreamModel)),
            .init(section: "upstream", key: "timeout_seconds", environment: "ENGRAM_PROMPT_UPSTREAM_TIMEOUT_SECONDS",
                  field: .int(\.upstreamTimeoutSeconds, 1...86_400)),
            .init(section: "chat", key: "default_namespace", environment: "ENGRAM_PROMPT_CHAT_NAMESPACE",
                  field: .string(\.chatDefaultNamespace)),
            .init(section: "chat", key: "injection", environment: "ENGRAM_PROMPT_CHAT_INJECTION",
                  field: .choice(\.chatInjectionName, C.Injection.allCases.map(\.rawValue))),
            .init(section: "learning", key: "enabled", environment: "ENGRAM_PROMPT_LEARNING_ENABLED", field: .bool(\.learningEnabled)),
            .init(section: "learning", key: "initial_confidence", environment: "ENGRAM_PROMPT_LEARNING_INITIAL_CONFIDENCE",
                  field: .double(\.learningInitialConfidence, 0...1)),
            .init(section: "learning", key: "model", environment: "ENGRAM_PROMPT_LEARNING_MODEL", field: .string(\.learningModel)),
            .init(section: "learning", key: "template", environment: "ENGRAM_PROMPT_LEARNING_TEMPLATE",
                  field: .string(\.learningTemplate)),
            .init(section: "learning", key: "max_facts", environment: "ENGRAM_PROMPT_LEARNING_MAX_FACTS",
                  field: .int(\.learningMaxFacts, 1...1000)),
        ]
    }
}
