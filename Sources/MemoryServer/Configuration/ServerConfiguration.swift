import Foundation
public import EngramService
public import Logging
public import MemoryEngine

/// Everything `engramd` needs to know before it opens a socket.
///
/// Values come from three layers, later ones winning: the built-in defaults below (which
/// `config/engramd.toml` repeats, key for key), the TOML file, and `ENGRAM_*` environment
/// variables. Relative paths are resolved against the daemon's working directory, which is
/// what `make run` and the README assume.
public struct ServerConfiguration: ServiceConfiguration {
    /// Whether an acknowledged write must survive power loss (`sync`: fsync on commit) or only
    /// a process crash (`relaxed`: the OS flushes when it likes; faster writes).
    public enum Durability: String, Sendable, Equatable, CaseIterable {
        case sync
        case relaxed
    }

    /// An optional TCP listener. Peer credentials cannot be checked over TCP, so it is off by
    /// default and may only bind a loopback address.
    public struct TCPListener: Sendable, Equatable {
        public var host: String
        public var port: Int

        public init(host: String = "127.0.0.1", port: Int = 7878) {
            self.host = host
            self.port = port
        }
    }

    /// Path of the Unix domain socket the API is served on.
    public var socketPath: String = "./run/engram.sock"
    /// Permission bits applied to the socket file before it becomes reachable.
    public var socketMode: UInt32 = 0o660
    /// Peer uids allowed to talk to the socket. Empty together with `allowedGIDs` means any peer
    /// that the file permissions let through; otherwise a peer passes if its uid is listed here
    /// or its primary gid is listed in `allowedGIDs`.
    public var allowedUIDs: [UInt32] = []
    /// Peer primary gids allowed (SO_PEERCRED reports only the primary gid, not supplementary groups).
    public var allowedGIDs: [UInt32] = []
    /// Whether the loopback TCP listener runs (see ``tcp``).
    public var tcpEnabled = false
    public var tcpHost = "127.0.0.1"
    public var tcpPort = 7878
    /// Directory holding the LMDB store.
    public var dataDirectory: String = "./data"
    /// Directories `POST /v1/admin/backup` may write into; empty (the default) means one,
    /// `backups` beside the data directory. See ``effectiveBackupDirectories``.
    public var backupDirectories: [String] = []
    /// Directory holding the embedding model (`model.safetensors`, `vocab.txt`).
    public var modelDirectory: String = "./.cache/models/all-MiniLM-L6-v2"
    /// The engine's settings (`[engine]`, `[engine.ranking]`, `[engine.confidence]`): learning
    /// thresholds and conflict policy, the confidence model, ranking weights, page and search
    /// limits, and the maintenance intervals. See ``EngineConfiguration`` for each default.
    public var engine = EngineConfiguration()

    /// `engine.conflict_policy` as the configuration file spells it.
    public var conflictPolicyName: String {
        get { engine.conflictPolicy.rawValue }
        set { engine.conflictPolicy = ConflictPolicy(rawValue: newValue) ?? engine.conflictPolicy }
    }

    /// `engine.default_ef`: 0 stands for "the namespace's ef_search" (`nil`).
    public var defaultEfSetting: Int {
        get { engine.defaultEf ?? 0 }
        set { engine.defaultEf = newValue == 0 ? nil : newValue }
    }
    /// Largest request body accepted; larger ones get 413 `payload_too_large`.
    public var maxBodyBytes: Int = 4 * 1024 * 1024
    /// Minimum level of log records written.
    public var logLevel: Logger.Level = .info
    /// Commit durability of the store.
    public var durability: Durability = .sync
    /// Whether indexes keep their float vectors in memory (`MemoryStoreOptions.vectorsInMemory`).
    public var vectorsInMemory = true
    /// `[cluster]`: this node's name in a replicated deployment; empty (the default): the
    /// daemon runs on one machine and needs no NATS. See docs/cluster.md.
    public var clusterNodeID = ""
    /// `[cluster] servers`: NATS servers (`nats://host:port`), tried in order.
    public var clusterServers: [String] = ["nats://127.0.0.1:4222"]
    public var clusterStream = "ENGRAM"
    public var clusterReplicas = 3
    public var clusterLeaseSeconds = 10.0
    public var clusterApplyTimeoutSeconds = 10.0
    public var clusterSnapshotEvery = 10_000
    /// Seconds a connection may stay without a complete request (idle between requests, or
    /// sending a head or body that does not progress) before the server closes it, so that
    /// half-open and slow clients cannot hold descriptors. A request being handled is never
    /// cut off.
    public var idleTimeoutSeconds: Int = 30
    /// Threads that run blocking engine calls (writes, embeddings, LMDB reads) off Swift's
    /// cooperative pool; 0 chooses ``automaticBlockingThreads``. See ``BlockingWorkPool``.
    public var blockingThreads: Int = 0

    /// The defaults, as documented in `config/engramd.toml`.
    public init() {}

    /// True when any peer allowlist is configured.
    public var hasPeerAllowlist: Bool { !allowedUIDs.isEmpty || !allowedGIDs.isEmpty }

    /// Upper bound of `server.blocking_threads`.
    public static let maxBlockingThreads = 1024

    /// The pool size for `blocking_threads = 0`: twice the cores, at least 4. Writes spend
    /// most of their time waiting for fsync (no CPU) and embeddings are CPU-bound, so a little
    /// more than one thread per core keeps both moving without unbounded oversubscription.
    public static var automaticBlockingThreads: Int {
        max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The blocking pool's size: `blockingThreads`, or the automatic size when it is 0.
    public var effectiveBlockingThreads: Int {
        blockingThreads > 0 ? blockingThreads : Self.automaticBlockingThreads
    }

    /// `backupDirectories`, or `backups` beside the data directory when none is configured.
    public var effectiveBackupDirectories: [String] {
        guard backupDirectories.isEmpty else { return backupDirectories }
        var parent = dataDirectory
        while parent.count > 1 && parent.hasSuffix("/") { parent.removeLast() }
        guard let slash = parent.lastIndex(of: "/") else { return ["./backups"] }
        let above = String(parent[..<slash])
        return [(above.isEmpty ? "" : above) + "/backups"]
    }

    /// The allowlist in the form the connection handler checks.
    public var peerAllowlist: PeerAllowlist { PeerAllowlist(uids: allowedUIDs, gids: allowedGIDs) }

    /// The optional loopback TCP listener; `nil` means none (the default).
    public var tcp: TCPListener? {
        get { tcpEnabled ? TCPListener(host: tcpHost, port: tcpPort) : nil }
        set {
            tcpEnabled = newValue != nil
            if let newValue {
                tcpHost = newValue.host
                tcpPort = newValue.port
            }
        }
    }

    /// ``logLevel`` by name, for the configuration file.
    public var logLevelName: String {
        get { logLevel.rawValue }
        set { logLevel = Logger.Level(rawValue: newValue) ?? logLevel }
    }

    /// ``durability`` by name, for the configuration file.
    public var durabilityName: String {
        get { durability.rawValue }
        set { durability = Durability(rawValue: newValue) ?? durability }
    }
}
