import AsyncHTTPClient
import EngramTestSupport
import Foundation
import MemoryClient
import NIOCore
import PromptAssembly
import Synchronization

/// The package's root, for the shipped `config/` files.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// One HTTP response, read whole.
struct TestResponse {
    var status: Int
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

/// A client of engram-prompt's Unix socket, with AsyncHTTPClient's `http+unix` support.
struct PromptClient: Sendable {
    let socketPath: String

    func url(_ path: String) -> String {
        URL(httpURLWithSocketPath: socketPath, uri: path)!.absoluteString
    }

    func send(_ method: String, _ path: String, json: String? = nil, headers: [(String, String)] = []) async throws -> TestResponse {
        let response = try await start(method, path, json: json, headers: headers)
        let body = try await response.body.collect(upTo: 1 << 24)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return TestResponse(status: Int(response.status.code), headers: fields, body: Data(buffer: body))
    }

    func post(_ path: String, _ json: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await send("POST", path, json: json, headers: headers)
    }

    func get(_ path: String) async throws -> TestResponse { try await send("GET", path) }

    /// The response with its body not yet read (for streams).
    func start(_ method: String, _ path: String, json: String? = nil, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url(path))
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    }
}

/// A real engramd, a fake upstream and engram-prompt wired to both, in a temporary directory.
final class Stack: Sendable {
    let directory: String
    let daemonSocket: String
    let upstream: FakeUpstream
    let runtime: PromptRuntime
    let prompt: PromptClient
    /// Direct access to the daemon, for checking what engram-prompt did.
    let memory: MemoryClient
    private let daemon: Mutex<InProcessDaemon?>
    private let running: RunningGroup
    private let restarts = Mutex(0)

    init(directory: String, daemonSocket: String, upstream: FakeUpstream, runtime: PromptRuntime, daemon: InProcessDaemon,
         running: RunningGroup) {
        self.directory = directory
        self.daemonSocket = daemonSocket
        self.upstream = upstream
        self.runtime = runtime
        self.prompt = PromptClient(socketPath: runtime.configuration.socketPath)
        self.memory = MemoryClient(socketPath: daemonSocket)
        self.daemon = Mutex(daemon)
        self.running = running
    }

    func stopDaemon() async throws {
        if let daemon = daemon.withLock({ $0.take() }) { try await daemon.stop() }
    }

    /// A new daemon on the same socket, over a new store.
    func startDaemon() async throws {
        let count = restarts.withLock { $0 += 1; return $0 }
        let started = try await InProcessDaemon.start(socketPath: daemonSocket, storePath: "\(directory)/store\(count)")
        daemon.withLock { $0 = started }
    }

    /// Stops everything: engram-prompt first (it drains its learning), then daemon and upstream.
    func shutdown() async throws {
        try await running.stop()
        try await stopDaemon()
        try await upstream.stop()
    }

    /// Remembers `text` in `namespace` directly in the daemon; returns its id.
    @discardableResult
    func remember(_ text: String, in namespace: String = "ns") async throws -> UInt64 {
        try await memory.remember(.init(text: text), in: namespace).entry.id
    }
}

/// Runs `body` with a fresh ``Stack``; `configure` adjusts engram-prompt's configuration
/// (its sockets and upstream URL are set already).
func withStack(streamGate: Gate? = nil, configure: (inout PromptConfiguration) -> Void = { _ in },
               _ body: (Stack) async throws -> Void) async throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let daemonSocket = "\(directory)/d.sock"
    let daemon = try await InProcessDaemon.start(socketPath: daemonSocket, storePath: "\(directory)/store0")
    let upstream = try await FakeUpstream.start(streamGate: streamGate)
    var configuration = PromptConfiguration()
    configuration.socketPath = "\(directory)/p.sock"
    configuration.daemonSocket = daemonSocket
    configuration.upstreamBaseURL = upstream.baseURL
    configuration.templatesDirectory = "\(packageRoot)/config/templates"
    configuration.upstreamTimeoutSeconds = 30
    // Most tests talk about namespaces the first learned fact creates; the refusal of unknown
    // ones (the default) has tests of its own.
    configuration.allowUnknownNamespaces = true
    // The word-hash embedder's similarities are not MiniLM's, which the default thresholds are
    // chosen for: the tests keep every hit unless they test a threshold.
    configuration.minScore = 0
    configuration.minConfidence = 0
    configure(&configuration)
    let runtime = try PromptRuntime(configuration: configuration, logger: testLogger)
    let running = RunningGroup(runtime.services)
    let stack = Stack(directory: directory, daemonSocket: daemonSocket, upstream: upstream, runtime: runtime, daemon: daemon,
                      running: running)
    do {
        try await runtime.server.waitUntilReady()
        try await body(stack)
    } catch {
        try? await stack.shutdown()
        throw error
    }
    try await stack.shutdown()
}

/// JSON text for a dictionary (test request bodies).
func json(_ object: [String: Any]) -> String {
    String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
}
