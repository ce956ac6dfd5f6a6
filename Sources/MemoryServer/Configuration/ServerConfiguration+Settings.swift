public import EngramService
import Foundation
import Logging

extension ServerConfiguration {
    /// Environment variable naming the configuration file when `--config` is not given.
    public static let configFileEnvironment = "ENGRAM_CONFIG"

    public static let renderHeader =
        "# Effective engramd configuration (defaults < config file < ENGRAM_* environment)."

    /// Every key of `config/engramd.toml`, in its order.
    public static var settings: [Setting<ServerConfiguration>] {
        [
            .init("server", "socket", environment: "ENGRAM_SOCKET", .string(\.socketPath)),
            .init("server", "socket_mode", environment: "ENGRAM_SOCKET_MODE", .mode(\.socketMode)),
            .init("server", "allowed_uids", environment: "ENGRAM_ALLOWED_UIDS", .ids(\.allowedUIDs)),
            .init("server", "allowed_gids", environment: "ENGRAM_ALLOWED_GIDS", .ids(\.allowedGIDs)),
            .init("server", "max_body_bytes", environment: "ENGRAM_MAX_BODY_BYTES", .int(\.maxBodyBytes, bodyLimitRange)),
            .init("server", "log_level", environment: "ENGRAM_LOG_LEVEL",
                  .choice(\.logLevelName, Logger.Level.allCases.map(\.rawValue))),
            .init("server", "blocking_threads", environment: "ENGRAM_BLOCKING_THREADS",
                  .int(\.blockingThreads, 0...maxBlockingThreads)),
            .init("server", "idle_timeout_seconds", environment: "ENGRAM_IDLE_TIMEOUT_SECONDS",
                  .int(\.idleTimeoutSeconds, idleTimeoutRange)),
            .init("server.tcp", "enabled", environment: "ENGRAM_TCP_ENABLED", .bool(\.tcpEnabled)),
            .init("server.tcp", "host", environment: "ENGRAM_TCP_HOST", .string(\.tcpHost)),
            .init("server.tcp", "port", environment: "ENGRAM_TCP_PORT", .int(\.tcpPort, 0...65535)),
            .init("storage", "data_dir", environment: "ENGRAM_DATA_DIR", .string(\.dataDirectory)),
            .init("storage", "durability", environment: "ENGRAM_DURABILITY",
                  .choice(\.durabilityName, Durability.allCases.map(\.rawValue))),
            .init("storage", "backup_dirs", environment: "ENGRAM_BACKUP_DIRS", .paths(\.backupDirectories)),
            .init("embedding", "model_dir", environment: "ENGRAM_MODEL_DIR", .string(\.modelDirectory)),
            .init("engine", "auto_create_namespaces", environment: "ENGRAM_AUTO_CREATE_NAMESPACES",
                  .bool(\.autoCreateNamespaces)),
        ]
    }
}
