#if canImport(Glibc)
import Glibc
#endif
import Embeddings
import Foundation
import Logging
import MemoryEngine
import MemoryServer
import MemoryStore
import ServiceLifecycle

/// A deterministic embedder for route tests: each word hashes (FNV-1a) to one of 32
/// components with a sign, so texts sharing words are close and identical texts identical.
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

/// Runs engramd's wiring (server + domain routes + maintenance) over a fresh store in a
/// temporary directory, runs `body` with a client of its socket, then shuts down gracefully.
/// - Returns: the engine, for checks after shutdown (its store stays open until released).
@discardableResult
func withMemoryServer(engineConfiguration: EngineConfiguration = EngineConfiguration(),
                      _ body: (UnixHTTPClient, MemoryEngine) async throws -> Void) async throws -> MemoryEngine {
    let directory = try makeSocketDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = testConfiguration(socketPath: "\(directory)/d.sock")
    configuration.maxBodyBytes = 64 * 1024
    configuration.dataDirectory = "\(directory)/store"  // hot backups go to \(directory)/backups
    let store = try MemoryStore(path: configuration.dataDirectory)
    let engine = try MemoryEngine(store: store, embedder: WordHashEmbedder(), configuration: engineConfiguration,
                                  logger: testLogger)
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
            try await body(UnixHTTPClient(socketPath: configuration.socketPath), engine)
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
    return engine
}

extension UnixHTTPClient {
    /// Sends `json` (text) as the body.
    func sendJSON(_ method: String, _ path: String, json: String) async throws -> Response {
        try await request(method, path, body: Array(json.utf8), headers: [("Content-Type", "application/json")])
    }

    /// Creates namespace `name` with the test embedder's dimension; fails the test otherwise.
    func createNamespace(_ name: String) async throws {
        let response = try await sendJSON("PUT", "/v1/namespaces/\(name)", json: #"{"dimension": 32}"#)
        guard response.status == 201 else {
            throw ClientError(description: "creating \(name): \(response.status) \(response.text)")
        }
    }

    /// Remembers `text` in `namespace`; returns the new entry's id and the write's sequence.
    func remember(_ text: String, in namespace: String) async throws -> (id: Int, sequence: Int) {
        let response = try await sendJSON("POST", "/v1/namespaces/\(namespace)/memories", json: #"{"text": "\#(text)"}"#)
        guard response.status == 201, let json = response.json, let sequence = json["sequence"] as? Int,
              let id = (json["entry"] as? [String: Any])?["id"] as? Int else {
            throw ClientError(description: "remember: \(response.status) \(response.text)")
        }
        return (id, sequence)
    }
}

extension UnixHTTPClient.Response {
    /// `entry` of a write outcome.
    var entry: [String: Any]? { json?["entry"] as? [String: Any] }
    /// Entry ids of a search response's `hits`, in order.
    var hitIDs: [Int] {
        ((json?["hits"] as? [[String: Any]]) ?? []).compactMap { ($0["entry"] as? [String: Any])?["id"] as? Int }
    }
}
