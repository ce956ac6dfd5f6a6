#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MemoryServer
import Testing

/// What `ServerSocketTests` leaves out: the socket mode as an operator configures it (the TOML
/// file and `ENGRAM_SOCKET_MODE`, through ``ServerConfiguration/load(file:environment:)``),
/// and that a peer the allowlist refuses never reaches the domain: its writes change nothing.
@Suite("End to end: socket permissions and peer credentials")
struct SocketAccessTests {
    @Test("socket_mode from the config file, overridden by ENGRAM_SOCKET_MODE, is the socket file's mode")
    func modeFromConfiguration() async throws {
        var harness = try DaemonHarness()
        defer { harness.cleanUp() }
        let file = "\(harness.directory)/engramd.toml"
        let socketPath = harness.socketPath
        try Data("""
            [server]
            socket = "\(socketPath)"
            socket_mode = 0o640
            max_body_bytes = 65536
            """.utf8).write(to: URL(fileURLWithPath: file))

        harness.configuration = try ServerConfiguration.load(file: file, environment: [:])
        try await harness.run { daemon in
            #expect(fileMode(socketPath) == 0o640)
            let health = try await daemon.client.request("GET", "/v1/health")
            #expect(health.status == 200)
        }

        harness.configuration = try ServerConfiguration.load(file: file, environment: ["ENGRAM_SOCKET_MODE": "0600"])
        try await harness.run { daemon in
            #expect(fileMode(socketPath) == 0o600)
            let health = try await daemon.client.request("GET", "/v1/health")
            #expect(health.status == 200)
        }

        harness.configuration = try ServerConfiguration.load(file: nil, environment: ["ENGRAM_SOCKET": socketPath])
        #expect(harness.configuration.socketMode == 0o660)
        try await harness.run { _ in
            #expect(fileMode(socketPath) == 0o660)
        }
    }

    @Test("a peer outside the uid and gid allowlists gets 403 on every domain route and changes nothing")
    func refusedPeerWritesNothing() async throws {
        var harness = try DaemonHarness()
        defer { harness.cleanUp() }
        harness.configuration.allowedUIDs = [getuid() &+ 1]
        harness.configuration.allowedGIDs = [getgid() &+ 1]
        try await harness.run { daemon in
            let client = daemon.client
            let attempts: [(String, String, String?)] = [
                ("PUT", "/v1/namespaces/kb", #"{"dimension": 32}"#),
                ("POST", "/v1/namespaces/kb/memories", #"{"text": "should never be stored"}"#),
                ("POST", "/v1/namespaces/kb/learn", #"{"text": "should never be learned"}"#),
                ("POST", "/v1/namespaces/kb/search", #"{"text": "anything"}"#),
                ("GET", "/v1/audit", nil),
                ("GET", "/metrics", nil),
            ]
            for (method, path, body) in attempts {
                let response = try await client.request(method, path, body: body.map { Array($0.utf8) },
                                                        headers: [("Content-Type", "application/json")])
                #expect(response.status == 403, "\(method) \(path): \(response.status) \(response.text)")
                #expect(response.errorCode == "peer_not_allowed")
            }
            #expect(daemon.engine.namespaces().isEmpty)
        }
        let store = try await harness.openStore()
        #expect(store.namespaces().isEmpty)
        #expect(try store.audit().isEmpty)
    }
}
