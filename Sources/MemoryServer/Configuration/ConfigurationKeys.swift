/// One configuration key: where it lives in the TOML file and which environment variable
/// overrides it. The table is the single source for the loader, the environment overlay,
/// `--print-config` and the tests that keep `config/engramd.toml` complete.
public struct ConfigurationKey: Sendable, Hashable {
    /// Dotted path in the TOML file, e.g. `server.socket`.
    public let path: String
    /// Environment variable that overrides it, e.g. `ENGRAM_SOCKET`.
    public let environment: String

    public static let socket = ConfigurationKey(path: "server.socket", environment: "ENGRAM_SOCKET")
    public static let socketMode = ConfigurationKey(path: "server.socket_mode", environment: "ENGRAM_SOCKET_MODE")
    public static let allowedUIDs = ConfigurationKey(path: "server.allowed_uids", environment: "ENGRAM_ALLOWED_UIDS")
    public static let allowedGIDs = ConfigurationKey(path: "server.allowed_gids", environment: "ENGRAM_ALLOWED_GIDS")
    public static let maxBodyBytes = ConfigurationKey(path: "server.max_body_bytes", environment: "ENGRAM_MAX_BODY_BYTES")
    public static let logLevel = ConfigurationKey(path: "server.log_level", environment: "ENGRAM_LOG_LEVEL")
    public static let blockingThreads = ConfigurationKey(path: "server.blocking_threads", environment: "ENGRAM_BLOCKING_THREADS")
    public static let idleTimeout = ConfigurationKey(path: "server.idle_timeout_seconds", environment: "ENGRAM_IDLE_TIMEOUT_SECONDS")
    public static let tcpEnabled = ConfigurationKey(path: "server.tcp.enabled", environment: "ENGRAM_TCP_ENABLED")
    public static let tcpHost = ConfigurationKey(path: "server.tcp.host", environment: "ENGRAM_TCP_HOST")
    public static let tcpPort = ConfigurationKey(path: "server.tcp.port", environment: "ENGRAM_TCP_PORT")
    public static let dataDirectory = ConfigurationKey(path: "storage.data_dir", environment: "ENGRAM_DATA_DIR")
    public static let durability = ConfigurationKey(path: "storage.durability", environment: "ENGRAM_DURABILITY")
    public static let backupDirectories = ConfigurationKey(path: "storage.backup_dirs", environment: "ENGRAM_BACKUP_DIRS")
    public static let modelDirectory = ConfigurationKey(path: "embedding.model_dir", environment: "ENGRAM_MODEL_DIR")

    /// Every key, in the order `--print-config` writes them.
    public static let all: [ConfigurationKey] = [
        .socket, .socketMode, .allowedUIDs, .allowedGIDs, .maxBodyBytes, .logLevel, .blockingThreads, .idleTimeout,
        .tcpEnabled, .tcpHost, .tcpPort, .dataDirectory, .durability, .backupDirectories, .modelDirectory,
    ]

    /// Environment variable naming the configuration file when `--config` is not given.
    public static let configFileEnvironment = "ENGRAM_CONFIG"
}
