import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import EngramService

/// The Engram HTTP/1.1 + JSON API over a Unix domain socket (and, if configured, a loopback TCP
/// port), as a swift-service-lifecycle `Service`.
///
/// Run it in a `ServiceGroup` with `gracefulShutdownSignals: [.sigterm, .sigint]`: on a signal,
/// Hummingbird stops accepting, in-flight requests finish, then ``run()`` removes the socket
/// file and returns, after which the group shuts down the services listed after it (the domain
/// should be listed before the server so it outlives every request).
///
/// Routes: `GET /v1/health`, `GET /metrics`, plus whatever `routes` installs (the domain
/// routes). Every route gets the middleware chain metrics → JSON errors → body limit.
///
/// Threads: each connection's task runs on its channel's event loop (``EventLoopAffineChannel``),
/// so a request is read, handled and answered on one thread. Routes run engine calls that
/// block (commits, embeddings) on ``ServerEnvironment/blockingPool``, which this service
/// starts before accepting and stops after the last in-flight request, so the event loops stay
/// free for the rest.
public struct MemoryServer: Service {
    /// Installs more routes on the router; called once, before the server starts.
    public typealias RouteInstaller = @Sendable (Router<EngramRequestContext>, ServerEnvironment) -> Void

    public let configuration: ServerConfiguration
    public let environment: ServerEnvironment
    private let logger: Logger
    private let routes: RouteInstaller
    private let healthDetails: InfrastructureRoutes.HealthDetails
    private let readiness = ReadinessSignal()

    public init(
        configuration: ServerConfiguration,
        logger: Logger,
        version: String = EngramVersion.current,
        healthDetails: @escaping InfrastructureRoutes.HealthDetails = { [:] },
        routes: @escaping RouteInstaller = { _, _ in }
    ) {
        self.configuration = configuration
        self.environment = ServerEnvironment(configuration: configuration, version: version)
        self.logger = logger
        self.routes = routes
        self.healthDetails = healthDetails
    }

    /// Returns once the socket is published and accepting connections; throws the startup
    /// error if ``run()`` failed before that.
    public func waitUntilReady() async throws {
        try await readiness.wait()
    }

    /// The router with the infrastructure routes, the middleware chain and `routes`' additions.
    public func makeRouter() -> Router<EngramRequestContext> {
        let router = Router(context: EngramRequestContext.self)
        let table = RouteTable()
        // Added first = runs outermost: metrics see the status ErrorMiddleware produced.
        EngramMetrics.bootstrap()
        router.add(middleware: RequestMetricsMiddleware(record: EngramMetrics.record))
        router.add(middleware: ErrorMiddleware(bodyLimit: configuration.maxBodyBytes, routes: table))
        router.add(middleware: BodyLimitMiddleware(limit: configuration.maxBodyBytes))
        InfrastructureRoutes.register(on: router, environment: environment, healthDetails: healthDetails)
        routes(router, environment)
        table.load(from: router)
        return router
    }

    /// Runs `body` with the router ``run()`` would serve and the blocking pool its routes need,
    /// without a socket: for route-level tests (HummingbirdTesting's `.router` mode).
    package func withRouter<R>(_ body: (Router<EngramRequestContext>) async throws -> R) async throws -> R {
        EngramMetrics.bootstrap()
        try environment.blockingPool.start()
        do {
            let result = try await body(makeRouter())
            await environment.blockingPool.shutdown()
            return result
        } catch {
            await environment.blockingPool.shutdown()
            throw error
        }
    }

    public func run() async throws {
        do {
            try await serve()
            readiness.fail(CancellationError())  // no-op when it was ready; unblocks waiters otherwise
        } catch {
            readiness.fail(error)
            throw error
        }
    }

    private func serve() async throws {
        EngramMetrics.bootstrap()
        let socket = try UnixSocketSetup.prepare(path: configuration.socketPath, mode: configuration.socketMode)
        defer { socket.remove() }
        // The blocking pool outlives every request: started before the first connection,
        // stopped only after Hummingbird has finished the in-flight requests (below).
        let blockingPool = environment.blockingPool
        try blockingPool.start()
        do {
            try await listen(socket: socket)
        } catch {
            await blockingPool.shutdown()
            throw error
        }
        await blockingPool.shutdown()
    }

    /// Runs the listeners until graceful shutdown (or a failure) and they have drained.
    private func listen(socket: UnixSocketSetup) async throws {
        let responder = makeRouter().buildResponder()
        let allowlist = configuration.peerAllowlist
        let logger = self.logger
        let readiness = self.readiness
        let socketMode = configuration.socketMode
        let blockingThreads = environment.blockingPool.threadCount
        let idleTimeout = TimeAmount.seconds(Int64(configuration.idleTimeoutSeconds))
        // Ready once every listener accepts: the Unix socket published and, if configured, the
        // TCP port bound. Signalling on the Unix socket alone let a client race the TCP bind.
        let listenersRunning = Countdown(configuration.tcp == nil ? 1 : 2) { readiness.succeed() }

        let unixApplication = Application(
            responder: responder,
            server: .http1OnEventLoop(configuration: .init(
                additionalChannelHandlers: [PeerCredentialsHandler(mode: .enforce(allowlist), logger: logger),
                                            ConnectionGuardHandler()],
                idleTimeout: idleTimeout)),
            configuration: .init(address: .unixDomainSocket(path: socket.bindPath), serverName: nil),
            onServerRunning: { _ in
                do {
                    try socket.publish()
                    logger.info("listening", metadata: [
                        "socket": "\(socket.path)", "mode": "0o\(String(socketMode, radix: 8))",
                        "blocking_threads": "\(blockingThreads)",
                        "peer_allowlist": "\(allowlist.isUnrestricted ? "any" : "uids=\(allowlist.uids.sorted()) gids=\(allowlist.gids.sorted())")",
                    ])
                    listenersRunning.arrive()
                } catch {
                    logger.critical("cannot publish the socket", metadata: ["error": "\(error)"])
                    readiness.fail(error)
                }
            },
            logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await unixApplication.run() }
            if let tcp = configuration.tcp {
                let tcpApplication = Application(
                    responder: responder,
                    server: .http1OnEventLoop(configuration: .init(
                        additionalChannelHandlers: [PeerCredentialsHandler(mode: .stripOnly, logger: logger),
                                                    ConnectionGuardHandler()],
                        idleTimeout: idleTimeout)),
                    configuration: .init(address: .hostname(tcp.host, port: tcp.port), serverName: nil),
                    onServerRunning: { channel in
                        logger.notice("TCP listener enabled (no peer credentials on TCP)", metadata: [
                            "address": "\(channel.localAddress.map { "\($0)" } ?? "\(tcp.host):\(tcp.port)")",
                        ])
                        listenersRunning.arrive()
                    },
                    logger: logger)
                group.addTask { try await tcpApplication.run() }
            }
            // A socket that could not be published must not be served: failing here cancels the
            // listeners.
            group.addTask { try await readiness.wait() }
            try await group.waitForAll()
        }
    }
}
