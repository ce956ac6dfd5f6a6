import Embeddings
import Foundation
import Logging
import MemoryEngine
import MemoryServer

/// engramd's composition (``Daemon``: store → engine → server + maintenance) inside this
/// process, on a Unix socket, as the tests run it. In-process so
/// that the in-process and end-to-end figures come from the very same engine and index.
final class InProcessDaemon: Sendable {
    let engine: MemoryEngine
    let socketPath: String
    private let running: Daemon.Running

    /// Opens the store at `storePath` (durable commits, indexes warmed up) and starts serving
    /// on `socketPath`; returns once the socket accepts connections.
    convenience init(storePath: String, socketPath: String, embedder: any Embedder, logger: Logger) async throws {
        var configuration = Self.configuration(socketPath: socketPath)
        configuration.dataDirectory = storePath
        let daemon = try Daemon.open(configuration: configuration, embedder: embedder, logger: logger)
        try await self.init(running: try await daemon.start())
    }

    /// Serves an engine that is already open (cold-start timing opens it separately).
    convenience init(engine: MemoryEngine, socketPath: String, logger: Logger) async throws {
        let daemon = Daemon(engine: engine, configuration: Self.configuration(socketPath: socketPath), logger: logger)
        try await self.init(running: try await daemon.start())
    }

    private init(running: Daemon.Running) async throws {
        self.running = running
        engine = running.daemon.engine
        socketPath = running.daemon.configuration.socketPath
    }

    private static func configuration(socketPath: String) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.socketPath = socketPath
        configuration.socketMode = 0o600
        configuration.maxBodyBytes = 4 * 1024 * 1024
        return configuration
    }

    /// Graceful shutdown: stop accepting, finish requests in flight, flush use counts.
    func stop() async throws {
        try await running.stop()
    }
}
