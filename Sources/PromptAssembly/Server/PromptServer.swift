import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import EngramService
import EngramAPI

/// engram-prompt's HTTP/1.1 API on its Unix socket and, when configured, a loopback TCP port,
/// as a swift-service-lifecycle `Service`.
///
/// The socket is taken exactly as engramd takes its own, by EngramService's ``UnixSocketSetup``
/// (mode applied before the path exists, a stale socket replaced, a live one refused); its
/// errors surface as ``PromptSocketError``. On graceful shutdown
/// Hummingbird stops accepting, in-flight requests (streams included) finish, then the socket
/// file is removed.
public final class PromptServer: Service {
    let configuration: PromptConfiguration
    let logger: Logger
    private let responder: RouterResponder<BasicRequestContext>
    private let readiness = ReadinessSignal()
    private let tcpAddress = Mutex<SocketAddress?>(nil)

    init(configuration: PromptConfiguration, router: Router<BasicRequestContext>, logger: Logger) {
        self.configuration = configuration
        self.responder = router.buildResponder()
        self.logger = logger
    }

    /// Returns once every listener is accepting; throws the startup error if ``run()`` failed.
    public func waitUntilReady() async throws {
        try await readiness.wait()
    }

    /// The bound TCP port once ready (`server.tcp.port = 0` lets the system choose); `nil`
    /// without a TCP listener.
    public var tcpPort: Int? { tcpAddress.withLock { $0?.port } }

    public func run() async throws {
        do {
            try await serve()
            readiness.fail(CancellationError())  // no-op when it was ready
        } catch {
            readiness.fail(error)
            throw error
        }
    }

    private func serve() async throws {
        let socket: UnixSocketSetup
        do throws(SocketError) {
            socket = try UnixSocketSetup.prepare(path: configuration.socketPath, mode: configuration.socketMode)
        } catch {
            throw PromptSocketError(error)
        }
        defer { socket.remove() }
        let responder = self.responder
        let logger = self.logger
        let configuration = self.configuration
        let unixReady = ReadinessSignal()
        let tcpReady = ReadinessSignal()
        let unixApplication = Application(
            responder: responder,
            configuration: .init(address: .unixDomainSocket(path: socket.bindPath), serverName: nil),
            onServerRunning: { _ in
                do throws(SocketError) {
                    try socket.publish()
                    logger.info("listening", metadata: [
                        "socket": "\(socket.path)", "mode": "0o\(String(configuration.socketMode, radix: 8))",
                        "daemon": "\(configuration.daemonSocket)", "upstream": "\(configuration.upstreamBaseURL)",
                    ])
                    unixReady.succeed()
                } catch {
                    let failure = PromptSocketError(error)
                    logger.critical("cannot publish the socket", metadata: ["error": "\(failure)"])
                    unixReady.fail(failure)
                }
            },
            logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await unixApplication.run() }
            if configuration.tcpEnabled {
                let tcpApplication = Application(
                    responder: responder,
                    configuration: .init(address: .hostname(configuration.tcpHost, port: configuration.tcpPort), serverName: nil),
                    onServerRunning: { channel in
                        self.tcpAddress.withLock { $0 = channel.localAddress }
                        logger.notice("TCP listener enabled", metadata: [
                            "address": "\(channel.localAddress.map { "\($0)" } ?? "\(configuration.tcpHost):\(configuration.tcpPort)")",
                        ])
                        tcpReady.succeed()
                    },
                    logger: logger)
                group.addTask { try await tcpApplication.run() }
            } else {
                tcpReady.succeed()
            }
            // Ready when every listener is; a socket that could not be published fails the group,
            // which cancels the listeners.
            let readiness = self.readiness
            group.addTask {
                do {
                    try await unixReady.wait()
                    try await tcpReady.wait()
                    readiness.succeed()
                } catch {
                    readiness.fail(error)
                    throw error
                }
            }
            try await group.waitForAll()
        }
    }
}
