#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import MemoryServer
import ServiceLifecycle
import Testing
import EngramService
import EngramTestSupport

@Suite("Server over a real Unix socket")
struct ServerSocketTests {
    @Test("GET /v1/health answers with status, version and uptime")
    func health() async throws {
        let directory = try makeSocketDirectory()
        try await withServer(testConfiguration(socketPath: "\(directory)/d.sock")) { _, client in
            let response = try await client.request("GET", "/v1/health")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            let json = try #require(response.json)
            #expect(json["status"] as? String == "ok")
            #expect(json["version"] as? String == EngramVersion.current)
            #expect((json["uptime_seconds"] as? Double).map { $0 >= 0 } == true)
            #expect(json["pid"] as? Int == Int(getpid()))
        }
    }

    @Test("GET /metrics exposes the request counter by route and status")
    func metrics() async throws {
        let directory = try makeSocketDirectory()
        try await withServer(testConfiguration(socketPath: "\(directory)/d.sock")) { _, client in
            _ = try await client.request("GET", "/v1/health")
            _ = try await client.request("GET", "/no/such/route")
            let response = try await client.request("GET", "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
            let text = response.text
            #expect(text.contains("# TYPE engram_http_requests_total counter"))
            let healthLine = text.split(separator: "\n").first {
                $0.hasPrefix("engram_http_requests_total{") && $0.contains(#"route="/v1/health""#) && $0.contains(#"status="200""#)
            }
            #expect(healthLine != nil, "no counter line for /v1/health in:\n\(text)")
            #expect(text.contains(#"route="unmatched""#) && text.contains(#"status="404""#), "\(text)")
            #expect(text.contains("engram_http_request_duration_seconds_bucket{"))
        }
    }

    @Test("the socket gets the configured mode before it is reachable, and is removed on shutdown")
    func socketModeAndCleanup() async throws {
        let directory = try makeSocketDirectory()
        let path = "\(directory)/nested/run/d.sock"  // parent directories are created
        try await withServer(testConfiguration(socketPath: path)) { _, _ in
            #expect(fileMode(path) == 0o660)
            #expect(!fileExists("\(path).\(getpid()).bind"))
        }
        #expect(!fileExists(path))

        var restrictive = testConfiguration(socketPath: path)
        restrictive.socketMode = 0o600
        try await withServer(restrictive) { _, client in
            #expect(fileMode(path) == 0o600)
            let health = try await client.request("GET", "/v1/health")
            #expect(health.status == 200)
        }
    }

    @Test("a stale socket file (nobody listening) is replaced")
    func staleSocketReplaced() async throws {
        let directory = try makeSocketDirectory()
        let path = "\(directory)/d.sock"
        try makeStaleSocket(at: path)
        #expect(fileExists(path))
        #expect(throws: (any Error).self) { try UnixHTTPClient.connect(to: path) }
        try await withServer(testConfiguration(socketPath: path)) { _, client in
            let health = try await client.request("GET", "/v1/health")
            #expect(health.status == 200)
        }
    }

    @Test("a second server on a live socket refuses to start and leaves the first one serving")
    func liveSocketRefused() async throws {
        let directory = try makeSocketDirectory()
        let configuration = testConfiguration(socketPath: "\(directory)/d.sock")
        try await withServer(configuration) { _, client in
            let second = MemoryServer(configuration: configuration, logger: testLogger)
            await #expect(throws: SocketError.inUse(path: configuration.socketPath)) {
                try await second.run()
            }
            await #expect(throws: SocketError.inUse(path: configuration.socketPath)) {
                try await second.waitUntilReady()
            }
            let health = try await client.request("GET", "/v1/health")
            #expect(health.status == 200)
        }
    }

    @Test("a path that is not a socket is never deleted")
    func notASocketRefused() async throws {
        let directory = try makeSocketDirectory()
        let path = "\(directory)/d.sock"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
        let server = MemoryServer(configuration: testConfiguration(socketPath: path), logger: testLogger)
        await #expect(throws: SocketError.notASocket(path: path)) { try await server.run() }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
    }

    @Test("a body over the limit gets 413 payload_too_large; one under it passes")
    func bodyLimit() async throws {
        let directory = try makeSocketDirectory()
        try await withServer(testConfiguration(socketPath: "\(directory)/d.sock")) { _, client in
            let small = [UInt8](repeating: UInt8(ascii: "a"), count: 2048)
            let ok = try await client.request("POST", "/test/echo", body: small)
            #expect(ok.status == 200)
            #expect(ok.body == small)

            let big = [UInt8](repeating: UInt8(ascii: "a"), count: 2049)
            let refused = try await client.request("POST", "/test/echo", body: big)
            #expect(refused.status == 413)
            #expect(refused.headers["content-type"] == "application/json")
            #expect(refused.errorCode == "payload_too_large")
        }
    }

    @Test("bad bodies map to stable JSON error codes")
    func errorModel() async throws {
        let directory = try makeSocketDirectory()
        try await withServer(testConfiguration(socketPath: "\(directory)/d.sock")) { _, client in
            let good = try await client.request("POST", "/test/decode", body: Array(#"{"name":"x","count":2}"#.utf8))
            #expect(good.status == 200)

            let cases: [(body: [UInt8], status: Int, code: String)] = [
                (Array(#"{"name":"x","count":"#.utf8), 400, "malformed_json"),
                (Array("not json".utf8), 400, "malformed_json"),
                ([], 400, "malformed_json"),
                (Array(#"{"name":"x","count":2,"extra":true}"#.utf8), 400, "unknown_field"),
                (Array(#"{"name":"x"}"#.utf8), 400, "missing_field"),
                (Array(#"{"name":"x","count":"two"}"#.utf8), 400, "invalid_field"),
                (Array(#"{"name":""#.utf8) + [0xC3, 0x28] + Array(#"","count":1}"#.utf8), 400, "invalid_utf8"),
            ]
            for item in cases {
                let response = try await client.request("POST", "/test/decode", body: item.body)
                #expect(response.status == item.status, "\(String(decoding: item.body, as: UTF8.self))")
                #expect(response.errorCode == item.code, "\(response.text)")
                let message = (response.json?["error"] as? [String: Any])?["message"] as? String
                #expect(message?.isEmpty == false)
            }
            let unknownField = try await client.request(
                "POST", "/test/decode", body: Array(#"{"name":"x","count":2,"extra":true}"#.utf8))
            #expect(unknownField.text.contains("extra"))

            let missing = try await client.request("GET", "/v1/nothing-here")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "route_not_found")
        }
    }

    @Test("the peer allowlist rejects a uid that is not listed")
    func peerRejected() async throws {
        let directory = try makeSocketDirectory()
        var configuration = testConfiguration(socketPath: "\(directory)/d.sock")
        configuration.allowedUIDs = [getuid() &+ 1]
        try await withServer(configuration) { _, client in
            let response = try await client.request("GET", "/v1/health")
            #expect(response.status == 403)
            #expect(response.errorCode == "peer_not_allowed")
            #expect(response.headers["connection"] == "close")
            let echo = try await client.request("POST", "/test/echo", body: Array("hi".utf8))
            #expect(echo.status == 403)
            #expect(echo.errorCode == "peer_not_allowed")
        }
    }

    @Test("the peer allowlist accepts the listed uid, or the listed gid, and passes real credentials on")
    func peerAccepted() async throws {
        let directory = try makeSocketDirectory()
        var byUID = testConfiguration(socketPath: "\(directory)/d.sock")
        byUID.allowedUIDs = [getuid()]
        try await withServer(byUID) { _, client in
            let health = try await client.request("GET", "/v1/health")
            #expect(health.status == 200)
            // A client-sent credentials header is replaced by the kernel's answer.
            let echo = try await client.request(
                "POST", "/test/echo", body: Array("hi".utf8),
                headers: [("Engram-Peer-Credentials", "uid=0 gid=0 pid=1")])
            #expect(echo.status == 200)
            #expect(echo.headers["x-seen-peer"] == "uid=\(getuid()) gid=\(getgid()) pid=\(getpid())")
        }

        var byGID = testConfiguration(socketPath: "\(directory)/d.sock")
        byGID.allowedUIDs = [getuid() &+ 1]
        byGID.allowedGIDs = [getgid()]
        try await withServer(byGID) { _, client in
            let health = try await client.request("GET", "/v1/health")
            #expect(health.status == 200)
        }
    }

    @Test("the optional loopback TCP listener serves the same routes and ignores forged peer headers")
    func tcpListener() async throws {
        let directory = try makeSocketDirectory()
        var configuration = testConfiguration(socketPath: "\(directory)/d.sock")
        let port = try UnixHTTPClient.freeTCPPort()
        configuration.tcp = .init(host: "127.0.0.1", port: port)
        try await withServer(configuration) { _, unixClient in
            let tcp = UnixHTTPClient(tcpPort: port)
            let health = try await tcp.request("GET", "/v1/health")
            #expect(health.status == 200)
            let echo = try await tcp.request("POST", "/test/echo", body: Array("hi".utf8),
                                             headers: [("Engram-Peer-Credentials", "uid=0 gid=0 pid=1")])
            #expect(echo.status == 200)
            #expect(echo.headers["x-seen-peer"] == nil)
            let overUnix = try await unixClient.request("POST", "/test/echo", body: Array("hi".utf8))
            #expect(overUnix.headers["x-seen-peer"] == "uid=\(getuid()) gid=\(getgid()) pid=\(getpid())")
        }
    }

    @Test("graceful shutdown lets an in-flight request finish")
    func gracefulShutdownWithRequestInFlight() async throws {
        let directory = try makeSocketDirectory()
        let configuration = testConfiguration(socketPath: "\(directory)/d.sock")
        let gate = Gate()
        let server = MemoryServer(configuration: configuration, logger: testLogger, routes: { router, _ in
            router.get("/test/slow") { _, _ in
                await gate.arriveAndWaitForRelease()
                return "done"
            }
        })
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [], logger: testLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await server.waitUntilReady()
            let client = UnixHTTPClient(socketPath: configuration.socketPath)
            async let slow = client.request("GET", "/test/slow")
            await gate.waitForArrival()
            await group.triggerGracefulShutdown()
            await gate.release()
            let response = try await slow
            #expect(response.status == 200)
            #expect(response.text == "done")
            try await tasks.waitForAll()
        }
        #expect(!fileExists(configuration.socketPath))
    }

    private func makeStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(result == 0)
        close(fd)  // the file stays; nobody listens
    }
}

/// Lets a test hold a request inside its handler until the test releases it.
actor Gate {
    private var arrived = false
    private var released = false
    private var arrivalWaiters: [CheckedContinuation<Void, Never>] = []
    private var releaseWaiters: [CheckedContinuation<Void, Never>] = []

    func arriveAndWaitForRelease() async {
        arrived = true
        arrivalWaiters.forEach { $0.resume() }
        arrivalWaiters = []
        if released { return }
        await withCheckedContinuation { releaseWaiters.append($0) }
    }

    func waitForArrival() async {
        if arrived { return }
        await withCheckedContinuation { arrivalWaiters.append($0) }
    }

    func release() {
        released = true
        releaseWaiters.forEach { $0.resume() }
        releaseWaiters = []
    }
}
