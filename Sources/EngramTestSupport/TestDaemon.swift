public import Embeddings
import Foundation
public import MemoryEngine
public import MemoryServer
import MemoryStore

/// engramd in this process: its own composition (``Daemon``) over a store, running until
/// ``stop()``. For tests that stop and start a daemon on the same store; ``withTestDaemon``
/// covers the common case.
public final class InProcessDaemon: Sendable {
    private let running: Daemon.Running

    /// engramd's composition, serving.
    public var daemon: Daemon { running.daemon }
    /// The engine, for checks that bypass the socket.
    public var engine: MemoryEngine { running.daemon.engine }
    /// The daemon's socket.
    public var socketPath: String { running.daemon.configuration.socketPath }

    private init(running: Daemon.Running) {
        self.running = running
    }

    /// Opens the store at `configuration.dataDirectory` and serves it on
    /// `configuration.socketPath`; returns once the socket accepts connections.
    public static func start(configuration: ServerConfiguration, embedder: any Embedder = WordHashEmbedder(),
                             engineConfiguration: EngineConfiguration? = nil) async throws -> InProcessDaemon {
        var configuration = configuration
        if let engineConfiguration { configuration.engine = engineConfiguration }
        let daemon = try Daemon.open(configuration: configuration, embedder: embedder, logger: makeTestLogger("engram.test-daemon"))
        return InProcessDaemon(running: try await daemon.start())
    }

    /// Serves an engine that is already open on `configuration.socketPath`.
    public static func start(engine: MemoryEngine, configuration: ServerConfiguration) async throws -> InProcessDaemon {
        let daemon = Daemon(engine: engine, configuration: configuration, logger: makeTestLogger("engram.test-daemon"))
        return InProcessDaemon(running: try await daemon.start())
    }

    /// Shuts down gracefully (requests in flight finish, use counts are flushed) and waits.
    public func stop() async throws {
        try await running.stop()
    }
}

/// A running engramd for a test (see ``withTestDaemon``).
public struct TestDaemon: Sendable {
    /// The daemon's socket.
    public let socketPath: String
    /// The temporary directory holding the store (`store/`), the socket and the backups
    /// (`backups/`); tests may write files of their own there.
    public let directory: String
    /// The engine, for checks that bypass the socket.
    public let engine: MemoryEngine
}

/// Runs engramd over a fresh store in a temporary directory, calls `body` once it serves, then
/// shuts it down gracefully (also when `body` throws) and removes the directory.
/// - Parameter configure: changes to the server configuration (the socket, the data directory
///   and a 64 KiB body limit are set first).
@discardableResult
public func withTestDaemon<R: Sendable>(
    embedder: any Embedder = WordHashEmbedder(),
    engineConfiguration: EngineConfiguration = EngineConfiguration(),
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (TestDaemon) async throws -> R
) async throws -> R {
    let directory = try makeTemporaryDirectory(prefix: "engram-daemon")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = ServerConfiguration()
    configuration.socketPath = "\(directory)/d.sock"
    configuration.maxBodyBytes = 64 * 1024
    configuration.dataDirectory = "\(directory)/store"  // hot backups go to \(directory)/backups
    configuration.engine = engineConfiguration
    configure(&configuration)
    let running = try await InProcessDaemon.start(configuration: configuration, embedder: embedder)
    let handle = TestDaemon(socketPath: configuration.socketPath, directory: directory, engine: running.engine)
    let result: R
    do {
        result = try await body(handle)
    } catch {
        try? await running.stop()
        throw error
    }
    try await running.stop()
    return result
}
