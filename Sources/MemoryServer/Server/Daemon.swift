public import Logging
public import MemoryEngine
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

    /// - Parameter gracefulShutdownSignals: the signals that stop ``run()`` (engramd: SIGTERM
    ///   and SIGINT; in-process users none, they call ``shutdown()``).
    public init(engine: MemoryEngine, configuration: ServerConfiguration, logger: Logger,
                healthDetails: @escaping InfrastructureRoutes.HealthDetails = { [:] },
                gracefulShutdownSignals: [UnixSignal] = []) {
        self.engine = engine
        self.configuration = configuration
        server = MemoryServer(configuration: configuration, logger: logger, healthDetails: healthDetails,
                              routes: { router, environment in
                                  MemoryRoutes.install(on: router, environment: environment, engine: engine)
                              })
        let maintenance = EngineMaintenance(engine: engine, logger: logger)
        group = ServiceGroup(configuration: .init(services: [maintenance, server],
                                                  gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
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
