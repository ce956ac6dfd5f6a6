/// How a daemon joins a replicated deployment (`[cluster]` in engramd's configuration).
///
/// Absent, the daemon runs on one machine and needs no NATS (the default).
public struct ReplicationConfiguration: Sendable, Equatable {
    /// A NATS server to connect to.
    public struct Server: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `nats://host:port`, `host:port` or `host` (port 4222).
        /// - Throws: ``ReplicationError/invalidConfiguration(_:)``.
        public init(parsing text: String) throws {
            var rest = Substring(text)
            if rest.hasPrefix("nats://") { rest = rest.dropFirst(7) }
            var host = rest, port = 4222
            if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                guard let parsed = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(parsed) else {
                    throw ReplicationError.invalidConfiguration("NATS server \"\(text.prefix(100))\": the port must be 1–65535")
                }
                port = parsed
            }
            guard !host.isEmpty, host.utf8.count <= 253, host.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") }) else {
                throw ReplicationError.invalidConfiguration("NATS server \"\(text.prefix(100))\": not a host name or address")
            }
            self.host = String(host)
            self.port = port
        }

        public var description: String { "nats://\(host):\(port)" }
    }

    /// This node's name, unique in the deployment: 1–64 of `[A-Za-z0-9_-]`.
    public var nodeID: String
    /// The NATS servers to try, in order (a node usually names the one on its machine first).
    public var servers: [Server]
    /// The JetStream stream holding every namespace's log.
    public var stream: String = "ENGRAM"
    /// Replicas of the stream and the buckets (1 for a single NATS server, 3 for a cluster).
    public var replicas: Int = 3
    /// How long an owner's lease lasts without renewal: the time another node waits before it
    /// takes a namespace over from a dead owner.
    public var leaseSeconds: Double = 10
    /// How long a write waits for this node to apply it after the log took it, and a read
    /// with `min_sequence` for the node to catch up.
    public var applyTimeoutSeconds: Double = 10
    /// A snapshot is stored after this many log messages have been applied since the last
    /// one (0: only on request).
    public var snapshotEvery: Int = 10_000

    public init(nodeID: String, servers: [Server]) {
        self.nodeID = nodeID
        self.servers = servers
    }

    /// - Throws: ``ReplicationError/invalidConfiguration(_:)`` naming the bad setting.
    public func validate() throws {
        guard (1...64).contains(nodeID.utf8.count), nodeID.utf8.allSatisfy(Self.isNameByte) else {
            throw ReplicationError.invalidConfiguration("cluster.node_id must be 1–64 characters of A–Z, a–z, 0–9, '_', '-'")
        }
        guard (1...32).contains(stream.utf8.count), stream.utf8.allSatisfy(Self.isNameByte) else {
            throw ReplicationError.invalidConfiguration("cluster.stream must be 1–32 characters of A–Z, a–z, 0–9, '_', '-'")
        }
        guard !servers.isEmpty else { throw ReplicationError.invalidConfiguration("cluster.servers names no NATS server") }
        guard (1...5).contains(replicas) else { throw ReplicationError.invalidConfiguration("cluster.replicas must be 1–5") }
        guard (1...3600).contains(leaseSeconds) else { throw ReplicationError.invalidConfiguration("cluster.lease_seconds must be 1–3600") }
        guard (0.1...600).contains(applyTimeoutSeconds) else {
            throw ReplicationError.invalidConfiguration("cluster.apply_timeout_seconds must be 0.1–600")
        }
        guard (0...100_000_000).contains(snapshotEvery) else {
            throw ReplicationError.invalidConfiguration("cluster.snapshot_every must be 0–100000000")
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}

/// What can go wrong in replication, beyond the NATS client's own errors.
public enum ReplicationError: Error, Equatable, CustomStringConvertible {
    case invalidConfiguration(String)
    /// A log message this node cannot read (skipped by every node alike).
    case unreadableMessage(sequence: UInt64, detail: String)
    /// The store holds writes that did not come from the log: it cannot join.
    case storeNotFromLog(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let detail): detail
        case .unreadableMessage(let sequence, let detail): "log message \(sequence) is unreadable: \(detail)"
        case .storeNotFromLog(let detail): detail
        }
    }
}
