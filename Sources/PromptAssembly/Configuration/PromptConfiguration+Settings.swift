public import EngramService
import Foundation
import Logging

extension PromptConfiguration {
    /// Environment variable naming the configuration file when `--config` is not given.
    public static let configFileEnvironment = "ENGRAM_PROMPT_CONFIG"

    public static let renderHeader =
        "# Effective engram-prompt configuration (defaults < config file < ENGRAM_PROMPT_* environment)."

    /// Every key of `config/engram-prompt.toml`, in its order.
    public static var settings: [Setting<PromptConfiguration>] {
        let levels = Logger.Level.allCases.map(\.rawValue)
        return [
            .init("server", "socket", environment: "ENGRAM_PROMPT_SOCKET", .string(\.socketPath)),
            .init("server", "socket_mode", environment: "ENGRAM_PROMPT_SOCKET_MODE", .mode(\.socketMode)),
            .init("server", "max_body_bytes", environment: "ENGRAM_PROMPT_MAX_BODY_BYTES", .int(\.maxBodyBytes, 1024...1_073_741_824)),
            .init("server", "log_level", environment: "ENGRAM_PROMPT_LOG_LEVEL", .choice(\.logLevelName, levels)),
            .init("server.tcp", "enabled", environment: "ENGRAM_PROMPT_TCP_ENABLED", .bool(\.tcpEnabled)),
            .init("server.tcp", "host", environment: "ENGRAM_PROMPT_TCP_HOST", .string(\.tcpHost)),
            .init("server.tcp", "port", environment: "ENGRAM_PROMPT_TCP_PORT", .int(\.tcpPort, 0...65535)),
            .init("daemon", "socket", environment: "ENGRAM_PROMPT_DAEMON_SOCKET", .string(\.daemonSocket)),
            .init("daemon", "timeout_seconds", environment: "ENGRAM_PROMPT_DAEMON_TIMEOUT_SECONDS", .int(\.daemonTimeoutSeconds, 1...3600)),
            .init("daemon", "actor", environment: "ENGRAM_PROMPT_DAEMON_ACTOR", .string(\.daemonActor)),
            .init("prompt", "templates_dir", environment: "ENGRAM_PROMPT_TEMPLATES_DIR", .string(\.templatesDirectory)),
            .init("prompt", "template", environment: "ENGRAM_PROMPT_TEMPLATE", .string(\.defaultTemplate)),
            .init("prompt", "system_template", environment: "ENGRAM_PROMPT_SYSTEM_TEMPLATE", .string(\.systemTemplate)),
            .init("prompt", "k", environment: "ENGRAM_PROMPT_K", .int(\.k, 1...1000)),
            .init("prompt", "min_confidence", environment: "ENGRAM_PROMPT_MIN_CONFIDENCE", .double(\.minConfidence, 0...1)),
            .init("prompt", "min_score", environment: "ENGRAM_PROMPT_MIN_SCORE", .double(\.minScore, 0...1)),
            .init("prompt", "allow_unknown_namespaces", environment: "ENGRAM_PROMPT_ALLOW_UNKNOWN_NAMESPACES",
                  .bool(\.allowUnknownNamespaces)),
            .init("prompt", "token_budget", environment: "ENGRAM_PROMPT_TOKEN_BUDGET", .int(\.tokenBudget, 1...10_000_000)),
            .init("prompt", "bytes_per_token", environment: "ENGRAM_PROMPT_BYTES_PER_TOKEN", .double(\.bytesPerToken, 0.5...64)),
            .init("prompt", "duplicate_threshold", environment: "ENGRAM_PROMPT_DUPLICATE_THRESHOLD", .double(\.duplicateThreshold, 0...1)),
            .init("prompt", "ranking", environment: "ENGRAM_PROMPT_RANKING", .choice(\.rankingName, Ranking.allCases.map(\.rawValue))),
            .init("prompt", "include_disputed", environment: "ENGRAM_PROMPT_INCLUDE_DISPUTED", .bool(\.includeDisputed)),
            .init("upstream", "base_url", environment: "ENGRAM_PROMPT_UPSTREAM_BASE_URL", .string(\.upstreamBaseURL)),
            .init("upstream", "api_key", environment: "ENGRAM_PROMPT_UPSTREAM_API_KEY", .secret(\.upstreamAPIKey)),
            .init("upstream", "model", environment: "ENGRAM_PROMPT_UPSTREAM_MODEL", .string(\.upstreamModel)),
            .init("upstream", "timeout_seconds", environment: "ENGRAM_PROMPT_UPSTREAM_TIMEOUT_SECONDS", .int(\.upstreamTimeoutSeconds, 1...86_400)),
            .init("upstream", "connect_timeout_ms", environment: "ENGRAM_PROMPT_UPSTREAM_CONNECT_TIMEOUT_MS",
                  .int(\.upstreamConnectTimeoutMilliseconds, 50...60_000)),
            .init("chat", "default_namespace", environment: "ENGRAM_PROMPT_CHAT_NAMESPACE", .string(\.chatDefaultNamespace)),
            .init("chat", "injection", environment: "ENGRAM_PROMPT_CHAT_INJECTION", .choice(\.chatInjectionName, Injection.allCases.map(\.rawValue))),
            .init("chat", "on_daemon_unavailable", environment: "ENGRAM_PROMPT_CHAT_ON_DAEMON_UNAVAILABLE",
                  .choice(\.chatOnDaemonUnavailable, ["fail", "answer_without_memories"])),
            .init("chat", "context_turns", environment: "ENGRAM_PROMPT_CHAT_CONTEXT_TURNS", .int(\.chatContextTurns, 0...50)),
            .init("chat", "namespace_template", environment: "ENGRAM_PROMPT_CHAT_NAMESPACE_TEMPLATE", .string(\.chatNamespaceTemplate)),
            .init("learning", "enabled", environment: "ENGRAM_PROMPT_LEARNING_ENABLED", .bool(\.learningEnabled)),
            .init("learning", "initial_confidence", environment: "ENGRAM_PROMPT_LEARNING_INITIAL_CONFIDENCE", .double(\.learningInitialConfidence, 0...1)),
            .init("learning", "model", environment: "ENGRAM_PROMPT_LEARNING_MODEL", .string(\.learningModel)),
            .init("learning", "template", environment: "ENGRAM_PROMPT_LEARNING_TEMPLATE", .string(\.learningTemplate)),
            .init("learning", "api", environment: "ENGRAM_PROMPT_LEARNING_API",
                  .choice(\.learningAPIName, LearningAPI.allCases.map(\.rawValue))),
            .init("learning", "max_facts", environment: "ENGRAM_PROMPT_LEARNING_MAX_FACTS", .int(\.learningMaxFacts, 1...1000)),
        ]
    }
}
