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
import Synchronization
import EngramTestSupport

/// engramd's wiring (store → engine → server + maintenance in a ServiceGroup) over a directory
/// the test keeps, so one test can stop the daemon, reopen the same store, or shut it down
/// while requests are in flight. ``withMemoryServer(engineConfiguration:_:)`` is the simpler
/// form for tests that need one fresh daemon.
struct DaemonHarness {
    /// Holds `store/` and the socket `d.sock`; removed by ``cleanUp()``.
    let directory: String
    var configuration: ServerConfiguration
    var engineConfiguration = EngineConfiguration()
    var embedder: any Embedder = WordHashEmbedder()

    var storePath: String { "\(directory)/store" }
    var socketPath: String { configuration.socketPath }

    init() throws {
        directory = try makeSocketDirectory()
        configuration = testConfiguration(socketPath: "\(directory)/d.sock")
        configuration.maxBodyBytes = 64 * 1024
    }

    /// Opens the store, starts the daemon, runs `body` once the socket is published, then
    /// shuts the daemon down gracefully (if `body` has not already) and waits for it to stop.
    /// When this returns, nothing references the engine or the store any more, so the store
    /// is closed and the same directory can be opened again (the store's process lock would
    /// refuse otherwise). `body` must not let the ``RunningDaemon`` escape.
    func run<R>(_ body: (RunningDaemon) async throws -> R) async throws -> R {
        let store = try await openStore()
        let engine = try MemoryEngine(store: store, embedder: embedder, configuration: engineConfiguration,
                                      logger: testLogger)
        let daemon = try await InProcessDaemon.start(engine: engine, configuration: configuration)
        let result: R
        do {
            result = try await body(RunningDaemon(client: UnixHTTPClient(socketPath: configuration.socketPath),
                                                  engine: engine, daemon: daemon.daemon))
        } catch {
            try? await daemon.stop()
            throw error
        }
        try await daemon.stop()
        return result
    }

    /// Opens the (stopped) daemon's store directly, as `engram` would offline.
    ///
    /// The previous run's engine is released a moment after ``run(_:)`` returns: the server's
    /// connection pipelines (which hold the routes, which hold the engine) are torn down
    /// asynchronously on NIO's event loops once the listener has stopped. So `.locked` is
    /// retried for up to 30 s (a hang guard); any other error is thrown at once.
    func openStore() async throws -> MemoryStore {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                return try MemoryStore(path: storePath)
            } catch MemoryStoreError.locked where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A daemon started by ``DaemonHarness/run(_:)``.
struct RunningDaemon: Sendable {
    let client: UnixHTTPClient
    let engine: MemoryEngine
    let daemon: Daemon

    /// What SIGTERM does in engramd: stop accepting, finish in-flight requests, stop.
    func triggerGracefulShutdown() async {
        await daemon.shutdown()
    }
}

/// An embedder that holds every call until the test opens it, so a test can keep requests
/// *inside* the engine (on the blocking pool) for as long as it needs, without sleeping.
/// Vectors come from ``WordHashEmbedder``.
final class GatedEmbedder: Embedder, Sendable {
    let dimension = 32
    var identifier: String { "test-word-hash-32" }
    private let inner = WordHashEmbedder()
    // NSCondition is Sendable; it guards `arrived` and `open` below, which are only touched
    // with it locked.
    private let condition = NSCondition()
    private nonisolated(unsafe) var arrived = 0
    private nonisolated(unsafe) var open = false

    func embed(_ texts: [String]) throws -> [[Float]] {
        condition.lock()
        arrived += 1
        condition.broadcast()
        while !open { condition.wait() }
        condition.unlock()
        return texts.map(inner.vector)
    }

    /// Waits (on a thread of its own, not the cooperative pool) until `count` calls are held.
    /// - Returns: false if that did not happen within `timeout` (a hang guard, not a timing check).
    func waitForArrivals(_ count: Int, timeout: Double = 30) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                self.condition.lock()
                let deadline = Date(timeIntervalSinceNow: timeout)
                var reached = self.arrived >= count
                while !reached, self.condition.wait(until: deadline) { reached = self.arrived >= count }
                reached = self.arrived >= count
                self.condition.unlock()
                continuation.resume(returning: reached)
            }
        }
    }

    /// Lets every held call, and every later one, through.
    func release() {
        condition.lock()
        open = true
        condition.broadcast()
        condition.unlock()
    }
}

extension UnixHTTPClient {
    /// Remembers `text` with an explicit `vector`; returns the new entry's id and sequence.
    func remember(_ text: String, vector: [Float], in namespace: String) async throws -> (id: Int, sequence: Int) {
        let body = #"{"text": "\#(text)", "vector": \#(jsonArray(vector))}"#
        let response = try await sendJSON("POST", "/v1/namespaces/\(namespace)/memories", json: body)
        guard response.status == 201, let json = response.json, let sequence = json["sequence"] as? Int,
              let id = (json["entry"] as? [String: Any])?["id"] as? Int else {
            throw ClientError(description: "remember: \(response.status) \(response.text)")
        }
        return (id, sequence)
    }

    /// Searches `namespace` by `vector`.
    func search(_ vector: [Float], in namespace: String, k: Int = 10, ef: Int? = nil) async throws -> Response {
        let efField = ef.map { #", "ef": \#($0)"# } ?? ""
        return try await sendJSON("POST", "/v1/namespaces/\(namespace)/search",
                                  json: #"{"vector": \#(jsonArray(vector)), "k": \#(k)\#(efField)}"#)
    }

    /// Every page of `path` (a cursor-paginated listing whose items are under `key`), as JSON
    /// text per item, so pages can be compared exactly.
    func allPages(_ path: String, key: String) async throws -> [String] {
        var items: [String] = []
        var cursor = 0
        while true {
            let separator = path.contains("?") ? "&" : "?"
            let response = try await request("GET", "\(path)\(separator)after=\(cursor)&limit=50")
            guard response.status == 200, let json = response.json, let page = json[key] as? [Any] else {
                throw ClientError(description: "\(path): \(response.status) \(response.text)")
            }
            for item in page {
                let data = try JSONSerialization.data(withJSONObject: item, options: [.sortedKeys])
                items.append(String(decoding: data, as: UTF8.self))
            }
            guard let next = json["next_cursor"] as? Int else { return items }
            cursor = next
        }
    }
}

/// `[1.0,2.0,…]` with every float written exactly (Swift's shortest round-trip form).
func jsonArray(_ vector: [Float]) -> String {
    "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
}

/// A seeded random unit vector, so tests are reproducible.
func randomUnitVector(dimension: Int = 32, using generator: inout some RandomNumberGenerator) -> [Float] {
    var vector = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
    let norm = vector.map { $0 * $0 }.reduce(0, +).squareRoot()
    vector = vector.map { $0 / max(norm, 1e-6) }
    return vector
}

/// SplitMix64: a small seedable generator for test data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Whether connecting to `path` fails now (no listener, or no socket file).
func connectionRefused(_ path: String) -> Bool {
    guard let fd = try? UnixHTTPClient.connect(to: path) else { return true }
    close(fd)
    return false
}
