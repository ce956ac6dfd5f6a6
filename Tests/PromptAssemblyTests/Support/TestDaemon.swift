import Embeddings
import Foundation
import Logging
import MemoryClient
import MemoryEngine
import MemoryServer
import MemoryStore
import ServiceLifecycle

/// A deterministic embedder: each word hashes (FNV-1a) to one of 32 components with a sign,
/// so texts sharing words are close and identical texts identical. A copy of the server tests'
/// embedder, so this target does not depend on another target's test support.
struct WordHashEmbedder: Embedder {
    let dimension = 32
    var identifier: String { "test-word-hash-32" }

    func embed(_ texts: [String]) throws -> [[Float]] { texts.map(vector) }

    func vector(_ text: String) -> [Float] {
        var result = [Float](repeating: 0, count: dimension)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            result[Int(hash % UInt64(dimension))] += (hash >> 32) & 1 == 0 ? 1 : -1
        }
        if result.allSatisfy({ $0 == 0 }) { result[0] = 1 }
        return result
    }
}

var testLogger: Logger {
    var logger = Logger(label: "engram.prompt-test")
    logger.logLevel = .warning
    return logger
}

/// A fresh, short directory (sun_path holds only 107 bytes, so not under the build directory).
func makeTemporaryDirectory() throws -> String {
    let path = "/tmp/engram-prompt-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
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

/// A real engramd (server + domain routes + maintenance, engramd's wiring) in this process, on
/// `socketPath` over a store in `storePath`.
final class TestDaemon: Sendable {
    let socketPath: String
    let running: RunningGroup

    private init(socketPath: String, running: RunningGroup) {
        self.socketPath = socketPath
        self.running = running
    }

    static func start(socketPath: String, storePath: String, embedder: any Embedder = WordHashEmbedder()) async throws -> TestDaemon {
        var configuration = ServerConfiguration()
        configuration.socketPath = socketPath
        configuration.maxBodyBytes = 1 << 20
        let store = try MemoryStore(path: storePath)
        let engine = try MemoryEngine(store: store, embedder: embedder, logger: testLogger)
        let server = MemoryServer(configuration: configuration, logger: testLogger, routes: { router, environment in
            MemoryRoutes.install(on: router, environment: environment, engine: engine)
        })
        let maintenance = EngineMaintenance(engine: engine, logger: testLogger)
        let running = RunningGroup([maintenance, server])
        do {
            try await server.waitUntilReady()
        } catch {
            try? await running.stop()
            throw error
        }
        return TestDaemon(socketPath: socketPath, running: running)
    }

    func stop() async throws {
        try await running.stop()
    }
}
