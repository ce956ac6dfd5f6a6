import Embeddings
import EngramTestSupport
import Foundation
import Logging
import MemoryServer
import ServiceLifecycle

var testLogger: Logger { makeTestLogger("engram.prompt-test") }

/// A fresh, short directory (see `makeTemporaryDirectory(prefix:)`).
func makeTemporaryDirectory() throws -> String {
    try makeTemporaryDirectory(prefix: "engram-prompt")
}

/// Services running in a ServiceGroup until ``stop()`` shuts them down gracefully.
final class RunningGroup: Sendable {
    let group: ServiceGroup
    let task: Task<Void, any Error>

    init(_ services: [any Service]) {
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: testLogger))
        self.group = group
        task = Task { try await group.run() }
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

extension InProcessDaemon {
    /// engramd on `socketPath` over the store in `storePath` (1 MiB body limit).
    static func start(socketPath: String, storePath: String,
                      embedder: any Embedder = WordHashEmbedder()) async throws -> InProcessDaemon {
        var configuration = ServerConfiguration()
        configuration.socketPath = socketPath
        configuration.dataDirectory = storePath
        configuration.maxBodyBytes = 1 << 20
        return try await start(configuration: configuration, embedder: embedder)
    }
}
