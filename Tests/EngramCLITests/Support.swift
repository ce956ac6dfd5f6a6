#if canImport(Glibc)
import Glibc
#endif
import Embeddings
import EngramCLI
import Foundation
import Logging
import MemoryEngine
import MemoryServer
import MemoryStore
import ServiceLifecycle

/// A deterministic embedder: each word hashes (FNV-1a) to one of 32 components with a sign,
/// so texts sharing words are close and identical texts identical. The same embedder the
/// server and client tests use (copied: test targets do not share support code).
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

/// A fresh, short directory (sun_path holds only 107 bytes, so not under the build directory).
func makeTemporaryDirectory() throws -> String {
    let path = "/tmp/engram-cli-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

var testLogger: Logger {
    var logger = Logger(label: "engram.cli-test")
    logger.logLevel = .warning
    return logger
}

/// A running daemon for a test: its socket, its temporary directory (for files the test
/// writes) and its engine (for checks that bypass the CLI).
struct Daemon: Sendable {
    let socketPath: String
    let directory: String
    let engine: MemoryEngine

    /// Runs `engram <arguments> --socket <this daemon>` in-process.
    func run(_ arguments: [String], interrupt: InterruptFlag = InterruptFlag(),
             terminal: Bool = false) async -> CLIResult {
        await runCLI(arguments + ["--socket", socketPath], interrupt: interrupt, terminal: terminal)
    }
}

/// What one command printed and its exit status.
struct CLIResult: Sendable {
    var status: Int32
    var out: String
    var err: String

    /// stdout's lines after the header, split on runs of spaces (table rows).
    var rows: [[String]] {
        out.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }
}

/// Parses and runs `arguments` like the `engram` executable does, with captured streams.
func runCLI(_ arguments: [String], environment: [String: String] = [:], interrupt: InterruptFlag = InterruptFlag(),
            terminal: Bool = false) async -> CLIResult {
    let out = CapturedText()
    let err = CapturedText()
    let console = Console(out: out, err: err, errIsTerminal: terminal, environment: environment, interrupt: interrupt)
    let status = await EngramCLI.run(arguments, console: console)
    return CLIResult(status: status, out: out.text, err: err.text)
}

/// Runs engramd's wiring (server + domain routes + maintenance) over a fresh store in a
/// temporary directory, runs `body`, then shuts down gracefully.
func withEngramd(_ body: (Daemon) async throws -> Void) async throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = ServerConfiguration()
    configuration.socketPath = "\(directory)/d.sock"
    configuration.maxBodyBytes = 8 << 20
    configuration.dataDirectory = "\(directory)/store"  // hot backups go to \(directory)/backups
    let store = try MemoryStore(path: configuration.dataDirectory)
    let engine = try MemoryEngine(store: store, embedder: WordHashEmbedder(), logger: testLogger)
    let server = MemoryServer(configuration: configuration, logger: testLogger, routes: { router, environment in
        MemoryRoutes.install(on: router, environment: environment, engine: engine)
    })
    let maintenance = EngineMaintenance(engine: engine, logger: testLogger)
    let group = ServiceGroup(configuration: .init(services: [maintenance, server], gracefulShutdownSignals: [],
                                                  logger: testLogger))
    let daemon = Daemon(socketPath: configuration.socketPath, directory: directory, engine: engine)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await server.waitUntilReady()
            try await body(daemon)
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
