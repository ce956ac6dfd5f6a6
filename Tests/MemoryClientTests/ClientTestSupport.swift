#if canImport(Glibc)
import Glibc
#endif
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

/// A fresh, short directory (sun_path holds only 107 bytes, so not under the build directory).
func makeSocketDirectory() throws -> String {
    let path = "/tmp/engram-client-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

var testLogger: Logger {
    var logger = Logger(label: "engram.client-test")
    logger.logLevel = .warning
    return logger
}

/// Runs engramd's wiring (server + domain routes + maintenance) over a fresh store in a
/// temporary directory, runs `body` with the socket path, then shuts down gracefully.
func withEngramd(_ body: (String) async throws -> Void) async throws {
    let directory = try makeSocketDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = ServerConfiguration()
    configuration.socketPath = "\(directory)/d.sock"
    configuration.maxBodyBytes = 64 * 1024
    configuration.dataDirectory = "\(directory)/store"  // hot backups go to \(directory)/backups
    let store = try MemoryStore(path: configuration.dataDirectory)
    let engine = try MemoryEngine(store: store, embedder: WordHashEmbedder(), logger: testLogger)
    let server = MemoryServer(configuration: configuration, logger: testLogger, routes: { router, environment in
        MemoryRoutes.install(on: router, environment: environment, engine: engine)
    })
    let maintenance = EngineMaintenance(engine: engine, logger: testLogger)
    let group = ServiceGroup(configuration: .init(services: [maintenance, server], gracefulShutdownSignals: [],
                                                  logger: testLogger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await server.waitUntilReady()
            try await body(configuration.socketPath)
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// A one-connection fake daemon: accepts one client on a fresh socket, reads one request head,
/// writes `pieces` one `send` each (so the client sees the response split across reads), then
/// closes. For response framing the real daemon never produces (chunked, malformed, cut off).
final class CannedServer: Sendable {
    let socketPath: String
    private let listener: Int32
    private let directory: String

    init(pieces: [[UInt8]]) throws {
        directory = try makeSocketDirectory()
        socketPath = "\(directory)/canned.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 && listen(fd, 4) == 0
            }
        }
        guard bound else {
            close(fd)
            throw CannedServerError()
        }
        listener = fd
        let thread = Thread { [fd] in
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !received.ends(with: [13, 10, 13, 10]) {
                let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                received += buffer[0..<n]
            }
            for piece in pieces {
                _ = piece.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                usleep(2_000)  // lets the client observe separate reads; correctness never depends on it
            }
        }
        thread.start()
    }

    deinit {
        close(listener)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct CannedServerError: Error {}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// Runs blocking `body` on a thread of its own (never on the cooperative pool, which the
/// in-process daemon needs) and waits for it.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
