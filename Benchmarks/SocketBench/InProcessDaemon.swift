import Embeddings
import Foundation
import Logging
import MemoryEngine
import MemoryServer
import MemoryStore

/// engramd's composition (``Daemon``: store → engine → server + maintenance) inside this
/// process, on a Unix socket, as the tests run it. In-process so
/// that the in-process and end-to-end figures come from the very same engine and index.
final class InProcessDaemon: Sendable {
    let engine: MemoryEngine
    let socketPath: String
    private let running: Daemon.Running

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
        self.engine = engine
        self.socketPath = socketPath
        running = try await Daemon(engine: engine, configuration: configuration, logger: logger).start()
    }

    /// Graceful shutdown: stop accepting, finish requests in flight, flush use counts.
    func stop() async throws {
        try await running.stop()
    }
}
