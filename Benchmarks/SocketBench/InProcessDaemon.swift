import Embeddings
import Foundation
import Logging
import MemoryEngine
import MemoryServer
import MemoryStore
import ServiceLifecycle

/// engramd's wiring (store → engine → server + maintenance in a ServiceGroup) inside this
/// process, on a Unix socket, the way Tests/MemoryServerTests/Support does it. In-process so
/// that the in-process and end-to-end figures come from the very same engine and index.
final class InProcessDaemon: Sendable {
    let engine: MemoryEngine
    let socketPath: String
    private let group: ServiceGroup
    private let runner: Task<Void, any Error>

    /// Opens the store at `storePath` and starts serving on `socketPath`; returns once the
    /// socket accepts connections.
    convenience init(storePath: String, socketPath: String, embedder: any Embedder, logger: Logger) async throws {
        let store = try MemoryStore(path: storePath, options: MemoryStoreOptions(durability: .sync))
        let engine = try MemoryEngine(store: store, embedder: embedder, logger: logger)
        try engine.warmUp()
        try await self.init(engine: engine, socketPath: socketPath, logger: logger)
    }

    /// Serves an engine that is already open (cold-start timing opens it separately).
    init(engine: MemoryEngine, socketPath: String, logger: Logger) async throws {
        var configuration = ServerConfiguration()
        configuration.socketPath = socketPath
        configuration.socketMode = 0o600
        configuration.maxBodyBytes = 4 * 1024 * 1024
        let server = MemoryServer(configuration: configuration, logger: logger, routes: { router, environment in
            MemoryRoutes.install(on: router, environment: environment, engine: engine)
        })
        let maintenance = EngineMaintenance(engine: engine, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [maintenance, server], gracefulShutdownSignals: [],
                                                      logger: logger))
        self.engine = engine
        self.socketPath = socketPath
        self.group = group
        runner = Task { try await group.run() }
        do {
            try await server.waitUntilReady()
        } catch {
            await group.triggerGracefulShutdown()
            _ = await runner.result
            throw error
        }
    }

    /// Graceful shutdown: stop accepting, finish requests in flight, flush use counts.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await runner.value
    }
}
