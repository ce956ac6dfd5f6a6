#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ServerConfiguration {
    /// Longest path `sockaddr_un.sun_path` holds, less the terminating NUL.
    public static let maxSocketPathBytes = 107
    /// Bounds on `max_body_bytes`: below 1 KiB no request fits; above 1 GiB one request could
    /// exhaust memory.
    public static let bodyLimitRange = 1024...(1 << 30)
    /// Bounds on `idle_timeout_seconds`.
    public static let idleTimeoutRange = 1...3600

    /// Throws every problem with this configuration at once.
    public func validate() throws(ConfigurationError) {
        let problems = validationProblems()
        if problems.count == 1 { throw problems[0] }
        if !problems.isEmpty { throw .multiple(problems) }
    }

    func validationProblems() -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        func problem(_ key: ConfigurationKey, _ message: String) {
            problems.append(.invalidValue(key: "\(key.path) / \(key.environment)", message: message))
        }
        if socketPath.isEmpty {
            problem(.socket, "the socket path is empty")
        } else if socketPath.utf8.count > Self.maxSocketPathBytes {
            problem(.socket, "'\(socketPath)' is \(socketPath.utf8.count) bytes; a Unix socket path holds at most \(Self.maxSocketPathBytes)")
        }
        if socketMode > 0o777 {
            problem(.socketMode, "permission bits must be between 0o000 and 0o777")
        } else if socketMode & 0o600 != 0o600 {
            problem(.socketMode, "0o\(String(socketMode, radix: 8)) does not let the owner read and write the socket")
        }
        if !Self.bodyLimitRange.contains(maxBodyBytes) {
            problem(.maxBodyBytes, "\(maxBodyBytes) is outside \(Self.bodyLimitRange.lowerBound)...\(Self.bodyLimitRange.upperBound)")
        }
        if !(0...Self.maxBlockingThreads).contains(blockingThreads) {
            problem(.blockingThreads, "\(blockingThreads) is outside 0...\(Self.maxBlockingThreads) (0 = automatic)")
        }
        if !Self.idleTimeoutRange.contains(idleTimeoutSeconds) {
            problem(.idleTimeout, "\(idleTimeoutSeconds) is outside \(Self.idleTimeoutRange.lowerBound)...\(Self.idleTimeoutRange.upperBound)")
        }
        if backupDirectories.contains(where: \.isEmpty) { problem(.backupDirectories, "a backup directory path is empty") }
        if dataDirectory.isEmpty { problem(.dataDirectory, "the data directory is empty") }
        if modelDirectory.isEmpty { problem(.modelDirectory, "the model directory is empty") }
        if let tcp {
            if !Self.isLoopback(host: tcp.host) {
                problem(.tcpHost, "'\(tcp.host)' is not a loopback address; the TCP listener only binds 127.0.0.0/8, ::1 or localhost")
            }
            if !(1...65535).contains(tcp.port) {
                problem(.tcpPort, "\(tcp.port) is not a TCP port (1...65535)")
            }
            if hasPeerAllowlist {
                // Over TCP there is no SO_PEERCRED: any local user could reach the API through the
                // listener and the allowlist would protect nothing.
                problem(.tcpEnabled, "a TCP listener cannot be combined with allowed_uids/allowed_gids, because TCP peers have no credentials to check")
            }
        }
        return problems
    }

    /// True for `localhost`, any IPv4 address in 127.0.0.0/8 and the IPv6 loopback `::1`.
    public static func isLoopback(host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in
                bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
            }
        }
        return false
    }
}
