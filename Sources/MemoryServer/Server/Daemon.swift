public import Embeddings
import LMDB
public import Logging
public import MemoryEngine
import MemoryStore
import Hummingbird
public import Replication
import ServiceLifecycle
public import UnixSignals

/// engramd's composition: an open engine served on the Unix socket, with its maintenance
/// (expiry purges, use-count flushes, free-page scrubs). The daemon, the socket benchmark and
/// the tests all run this one composition.
///
/// Services stop in reverse order: the server drains its requests first, then maintenance
/// writes the last use counts.
public final class Daemon: Sendable {
    public let engine: MemoryEngine
    public let configuration: ServerConfiguration
    let server: MemoryServer
    let group: ServiceGroup
    /// The node's replication, when it is part of a replicated deployment.
    public let replication: ReplicationNode?

    /// - Parameter gracefulShutdownSignals: the signals that stop ``run()`` (engramd: SIGTERM
    ///   and SIGINT; in-process users none, they call ``shutdown()``).
    public init(engine: MemoryEngine, configuration: ServerConfiguration, logger: Logger,
                healthDetails: @escaping InfrastructureRoutes.HealthDetails = { [:] },
                gracefulShutdownSignals: [UnixSignal] = [], replication: ReplicationNode? = nil) {
        self.engine = engine
        self.configuration = configuration
        self.replication = replication
        server = MemoryServer(configuration: configuration, logger: logger, healthDetails: healthDetails,
                              routes: { router, environment in
                                  if let replication {
                                      router.add(middleware: ClusterMiddleware(node: replication, environment: environment))
                                      ClusterRoutes.install(on: router, environment: environment, node: replication)
                                  }
                                  MemoryRoutes.install(on: router, environment: environment, engine: engine)
                              })
        let maintenance = EngineMaintenance(engine: engine, logger: logger)
        // Stopped in reverse: the server drains, maintenance flushes use counts (through the
        // log when replicated), then replication releases its leases.
        var services: [any Service] = [maintenance, server]
        if let replication {
            let forwarded = ForwardedRequestResponder(responder: server.makeRouter().buildResponder(), logger: logger)
            replication.setForwardingHandler { await forwarded.respond($0) }
            services.insert(replication, at: 0)
        }
        group = ServiceGroup(configuration: .init(services: services,
                                                  gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
    }

    /// Opens the store in `configuration.dataDirectory` (with its durability) and the engine
    /// over it with `embedder`, and warms the indexes up, before any socket exists: a locked
    /// store or a damaged one is an error at start, not at the first request.
    /// The engine runs with `configuration.engine` (the `[engine]` sections).
    /// - Throws: `MemoryStoreError.locked` when another process holds the store; any other
    ///   store or engine error.
    public static func open(configuration: ServerConfiguration, embedder: any Embedder,
                            logger: Logger,
                            healthDetails: @escaping @Sendable (MemoryEngine) -> [String: String] = { _ in [:] },
                            gracefulShutdownSignals: [UnixSignal] = []) throws -> Daemon {
        let engine = try openEngine(configuration: configuration, embedder: embedder, logger: logger, writer: nil)
        return Daemon(engine: engine, configuration: configuration, logger: logger,
                      healthDetails: {
                          // The embedding model is part of every daemon's health: engram-prompt's
                          // /v1/models lists it.
                          var details = healthDetails(engine)
                          details["embedder"] = engine.embedder.identifier
                          details["embedding_dimension"] = String(engine.embedder.dimension)
                          return details
                      }, gracefulShutdownSignals: gracefulShutdownSignals)
    }

    /// ``open(configuration:embedder:logger:healthDetails:gracefulShutdownSignals:)``, joining
    /// the replicated deployment when the configuration names a cluster node: a node whose
    /// data directory holds no store starts from the deployment's latest snapshot, and its
    /// engine writes through the log (docs/cluster.md).
    /// - Throws: what `open` throws; ``ReplicationError``; NATS errors fetching a snapshot.
    public static func openNode(configuration: ServerConfiguration, embedder: any Embedder, logger: Logger,
                                healthDetails: @escaping @Sendable (MemoryEngine) -> [String: String] = { _ in [:] },
                                gracefulShutdownSignals: [UnixSignal] = []) async throws -> Daemon {
        guard let replication = try configuration.replication() else {
            return try open(configuration: configuration, embedder: embedder, logger: logger, healthDetails: healthDetails,
                            gracefulShutdownSignals: gracefulShutdownSignals)
        }
        _ = try await ReplicationNode.restoreSnapshot(replication, into: configuration.dataDirectory, logger: logger)
        let writer = ReplicatedWriter()
        let engine = try openEngine(configuration: configuration, embedder: embedder, logger: logger, writer: writer)
        let node = try ReplicationNode(configuration: replication, engine: engine, logger: logger)
        writer.attach(node)
        return Daemon(engine: engine, configuration: configuration, logger: logger,
                      healthDetails: {
                          var details = healthDetails(engine)
                          details["embedder"] = engine.embedder.identifier
                          details["embedding_dimension"] = String(engine.embedder.dimension)
                          details["cluster_node"] = replication.nodeID
                          details["applied_sequence"] = String(node.applier.appliedSequence)
                          return details
                      }, gracefulShutdownSignals: gracefulShutdownSignals, replication: node)
    }

    static func openEngine(configuration: ServerConfiguration, embedder: any Embedder, logger: Logger,
                           writer: (any StoreWriter)?) throws -> MemoryEngine {
        let durability: LMDB.Durability = configuration.durability == .sync ? .sync : .relaxed
        var options = MemoryStoreOptions(durability: durability)
        options.vectorsInMemory = configuration.vectorsInMemory
        let store = try MemoryStore(path: configuration.dataDirectory, options: options)
        let engine = try MemoryEngine(store: store, embedder: embedder, configuration: configuration.engine, logger: logger,
                                      writer: writer)
        try engine.warmUp()
        return engine
    }

    /// Runs `body` with the daemon's router (no socket, no maintenance); see
    /// ``MemoryServer/withRouter(_:)``.
    package func withRouter<R>(_ body: (Router<EngramRequestContext>) async throws -> R) async throws -> R {
        try await server.withRouter(body)
    }

    /// Serves until a shutdown signal or ``shutdown()``; throws a start-up error (the socket in
    /// use: ``SocketError``).
    public func run() async throws {
        try await group.run()
    }

    /// Returns once the socket accepts connections; throws the start-up error if ``run()``
    /// failed before that.
    public func waitUntilReady() async throws {
        try await server.waitUntilReady()
    }

    /// Starts the graceful shutdown: stop accepting, finish requests in flight, flush.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}

extension Daemon {
    /// A daemon serving from a task of its own, for in-process use (benchmarks, tests).
    public final class Running: Sendable {
        public let daemon: Daemon
        private let runner: Task<Void, any Error>

        fileprivate init(daemon: Daemon, runner: Task<Void, any Error>) {
            self.daemon = daemon
            self.runner = runner
        }

        /// Shuts down gracefully (requests in flight finish, use counts are flushed) and waits.
        public func stop() async throws {
            await daemon.shutdown()
            try await runner.value
        }
    }

    /// Runs ``run()`` in a task of its own; returns once the socket accepts connections.
    /// - Throws: the start-up error (after the task has ended).
    public func start() async throws -> Running {
        let runner = Task { try await run() }
        do {
            try await waitUntilReady()
        } catch {
            await shutdown()
            _ = await runner.result
            throw error
        }
        return Running(daemon: self, runner: runner)
    }
}
