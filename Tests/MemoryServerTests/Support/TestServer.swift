#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MemoryEngine
import MemoryServer
import NIOPosix
import ServiceLifecycle
import EngramService
import EngramTestSupport

/// A fresh, short directory for a test's socket (sun_path holds only 107 bytes, so not under
/// the build directory).
func makeSocketDirectory() throws -> String {
    try makeTemporaryDirectory(prefix: "engram-test")
}

func testConfiguration(socketPath: String) -> ServerConfiguration {
    var configuration = ServerConfiguration()
    configuration.socketPath = socketPath
    configuration.maxBodyBytes = 2048
    return configuration
}

var testLogger: Logger { makeTestLogger() }

/// A body that rejects unknown keys, for exercising strict decoding through a real request.
struct ProbeBody: Decodable {
    let name: String
    let count: Int

    enum CodingKeys: String, CodingKey, CaseIterable { case name, count }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        count = try container.decode(Int.self, forKey: .count)
    }
}

/// Test-only routes: never registered by production code.
let testRoutes: MemoryServer.RouteInstaller = { router, environment in
    let limit = environment.configuration.maxBodyBytes
    router.post("/test/echo") { request, _ -> Response in
        let body = try await request.collectedBody(limit: limit)
        var headers = HTTPFields()
        if let peer = request.peerCredentials {
            headers[HTTPField.Name("X-Seen-Peer")!] = peer.description
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
    // Which thread a handler runs on: before and after an await that resumes from another
    // thread (the blocking pool's).
    router.get("/test/thread") { request, _ -> Response in
        let before = MultiThreadedEventLoopGroup.currentEventLoop.map { "\(ObjectIdentifier($0))" } ?? "none"
        let fromPool = try await environment.blockingPool.run { () throws(EngineError) in
            MultiThreadedEventLoopGroup.currentEventLoop != nil
        }
        let after = MultiThreadedEventLoopGroup.currentEventLoop.map { "\(ObjectIdentifier($0))" } ?? "none"
        let text = #"{"before":"\#(before)","after":"\#(after)","pool_on_loop":\#(fromPool)}"#
        return JSONResponse.make(Array(text.utf8))
    }
    router.post("/test/decode") { request, _ -> Response in
        let probe = try await request.decodeJSON(as: ProbeBody.self, limit: limit)
        return JSONResponse.make(Array(#"{"name":"\#(probe.name)","count":\#(probe.count)}"#.utf8))
    }
}

/// Runs a server in a ServiceGroup (as engramd does), waits until its socket is published,
/// runs `body`, then shuts it down gracefully and waits for it to finish.
func withServer(
    _ configuration: ServerConfiguration,
    _ body: (MemoryServer, UnixHTTPClient) async throws -> Void
) async throws {
    let server = MemoryServer(configuration: configuration, logger: testLogger, routes: testRoutes)
    let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [], logger: testLogger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await server.waitUntilReady()
            try await body(server, UnixHTTPClient(socketPath: configuration.socketPath))
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

func fileMode(_ path: String) -> UInt32? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return UInt32(info.st_mode) & 0o777
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}
