import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import Testing
@testable import PromptAssembly

@Suite struct ServerTests {
    @Test func socketHasItsModeAndIsRemovedOnShutdown() async throws {
        var socketPath = ""
        try await withStack { stack in
            socketPath = stack.runtime.configuration.socketPath
            var info = stat()
            #expect(lstat(socketPath, &info) == 0)
            #expect(UInt32(info.st_mode) & 0o777 == 0o660)
            let health = try await stack.prompt.get("/v1/health")
            #expect(health.json["status"] as? String == "ok")
            #expect(health.json["daemon"] as? String == "ok")
        }
        var info = stat()
        #expect(lstat(socketPath, &info) != 0)
    }

    /// The socket errors are the daemon's (shared code) but name engram-prompt's own option.
    @Test func socketErrorsSpeakOfEngramPrompt() {
        #expect(PromptSocketError.locked(path: "/p").description.contains("another engram-prompt"))
        #expect(PromptSocketError.inUse(path: "/p").description.hasSuffix("ENGRAM_PROMPT_SOCKET)"))
        #expect(PromptSocketError.notASocket(path: "/p").description.contains("/p"))
    }

    /// A second engram-prompt on a live socket is refused; a stale socket file is replaced.
    @Test func liveSocketRefusedStaleReplaced() async throws {
        try await withStack { stack in
            let second = try PromptRuntime(configuration: stack.runtime.configuration, logger: testLogger)
            await #expect(throws: PromptSocketError.inUse(path: stack.runtime.configuration.socketPath)) {
                try await second.server.run()
            }
        }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/stale.sock"
        // A socket file nobody listens on: bound, then its descriptor closed.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        #expect(bound == 0)
        try await withStack(configure: { $0.socketPath = path }) { stack in
            let health = try await stack.prompt.get("/v1/health")
            #expect(health.status == 200)
        }
    }

    /// The optional loopback TCP listener serves the same API.
    @Test func tcpListener() async throws {
        try await withStack(configure: { $0.tcpEnabled = true; $0.tcpPort = 0 }) { stack in
            let port = try #require(stack.runtime.server.tcpPort)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/prompt")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: json(["namespace": "ns", "request": "hello"])))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status.code == 200)
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(String(buffer: body).contains("\"prompt\""))
        }
    }

    @Test func metricsCountRequestsByRoute() async throws {
        try await withStack { stack in
            _ = try await stack.prompt.post("/v1/prompt", json(["namespace": "ns", "request": "hello"]))
            _ = try await stack.prompt.post("/v1/prompt", "{")
            let metrics = try await stack.prompt.get("/metrics")
            #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"engram_prompt_http_requests_total{route="/v1/prompt",method="POST",status="200"} 1"#))
            #expect(metrics.text.contains(#"engram_prompt_http_requests_total{route="/v1/prompt",method="POST",status="400"} 1"#))
            #expect(metrics.text.contains("engram_prompt_http_request_duration_seconds_bucket"))
        }
    }

    @Test func missingTemplatesAreAStartupError() throws {
        var configuration = PromptConfiguration()
        configuration.templatesDirectory = "/nonexistent-templates"
        #expect(throws: TemplateError.self) { _ = try PromptRuntime(configuration: configuration, logger: testLogger) }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "{{#unclosed}}".write(toFile: "\(directory)/default.mustache", atomically: true, encoding: .utf8)
        configuration.templatesDirectory = directory
        #expect { _ = try PromptRuntime(configuration: configuration, logger: testLogger) } throws: { error in
            guard case .syntax(let path, _, _, _) = error as? TemplateError else { return false }
            return path.hasSuffix("default.mustache")
        }
    }
}
