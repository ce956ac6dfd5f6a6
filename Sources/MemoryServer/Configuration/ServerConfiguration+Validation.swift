public import EngramService
import MemoryEngine

extension ServerConfiguration {
    /// Longest path `sockaddr_un.sun_path` holds, less the terminating NUL.
    public static let maxSocketPathBytes = 107
    /// Bounds on `max_body_bytes`: below 1 KiB no request fits; above 1 GiB one request could
    /// exhaust memory.
    public static let bodyLimitRange = 1024...(1 << 30)
    /// Bounds on `idle_timeout_seconds`.
    public static let idleTimeoutRange = 1...3600

    /// Throws every problem with this configuration at once.
    public func validationProblems() -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        func problem(_ path: String, _ message: String) { problems.append(Self.problem(path, message)) }
        if socketPath.isEmpty {
            problem("server.socket", "the socket path is empty")
        } else if socketPath.utf8.count > Self.maxSocketPathBytes {
            problem("server.socket", "'\(socketPath)' is \(socketPath.utf8.count) bytes; a Unix socket path holds at most \(Self.maxSocketPathBytes)")
        }
        if socketMode > 0o777 {
            problem("server.socket_mode", "permission bits must be between 0o000 and 0o777")
        } else if socketMode & 0o600 != 0o600 {
            problem("server.socket_mode", "0o\(String(socketMode, radix: 8)) does not let the owner read and write the socket")
        }
        if !Self.bodyLimitRange.contains(maxBodyBytes) {
            problem("server.max_body_bytes", "\(maxBodyBytes) is outside \(Self.bodyLimitRange.lowerBound)...\(Self.bodyLimitRange.upperBound)")
        }
        if !(0...Self.maxBlockingThreads).contains(blockingThreads) {
            problem("server.blocking_threads", "\(blockingThreads) is outside 0...\(Self.maxBlockingThreads) (0 = automatic)")
        }
        if !Self.idleTimeoutRange.contains(idleTimeoutSeconds) {
            problem("server.idle_timeout_seconds", "\(idleTimeoutSeconds) is outside \(Self.idleTimeoutRange.lowerBound)...\(Self.idleTimeoutRange.upperBound)")
        }
        if backupDirectories.contains(where: \.isEmpty) { problem("storage.backup_dirs", "a backup directory path is empty") }
        if dataDirectory.isEmpty { problem("storage.data_dir", "the data directory is empty") }
        if modelDirectory.isEmpty { problem("embedding.model_dir", "the model directory is empty") }
        do {
            try engine.validate()
        } catch {
            // The engine's own checks cover what one key's range cannot: default_k ≤ max_k,
            // default_ef ≤ max_ef, the actors' names.
            let message = error.message.hasPrefix("configuration: ") ? String(error.message.dropFirst(15)) : error.message
            problems.append(.invalidValue(key: "engine", message: message))
        }
        if !clusterNodeID.isEmpty {
            do {
                _ = try replication()
            } catch {
                problem("cluster", "\(error)")
            }
        }
        if let tcp {
            if !isLoopbackHost(tcp.host) {
                problem("server.tcp.host", "'\(tcp.host)' is not a loopback address; the TCP listener only binds 127.0.0.0/8, ::1 or localhost")
            }
            if !(1...65535).contains(tcp.port) {
                problem("server.tcp.port", "\(tcp.port) is not a TCP port (1...65535)")
            }
            if hasPeerAllowlist {
                // Over TCP there is no SO_PEERCRED: any local user could reach the API through the
                // listener and the allowlist would protect nothing.
                problem("server.tcp.enabled", "a TCP listener cannot be combined with allowed_uids/allowed_gids, because TCP peers have no credentials to check")
            }
        }
        return problems
    }
}
