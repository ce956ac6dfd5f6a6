import Foundation
import MemoryClient
import Testing

/// Response framing the real daemon does not produce but an HTTP peer may: chunked bodies,
/// bytes split across reads, a connection cut short, garbage.
@Suite("MemoryClient HTTP framing against canned responses")
struct HTTPFramingTests {
    static let healthJSON = #"{"details":{},"pid":7,"status":"ok","uptime_seconds":1.5,"version":"9.9"}"#

    @Test("a chunked body split across many reads, with an extension and a trailer")
    func chunked() async throws {
        let body = Array(Self.healthJSON.utf8)
        let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        let first = Array(body[0..<10]), second = Array(body[10...])
        let wire = head + Array("a;ext=1\r\n".utf8) + first + [13, 10]
            + Array(String(second.count, radix: 16).utf8) + [13, 10] + second + [13, 10]
            + Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
        // One byte per send for the first 40 bytes, then the rest.
        let pieces = wire.prefix(40).map { [$0] } + [Array(wire.dropFirst(40))]
        let server = try CannedServer(pieces: pieces)
        let health = try await MemoryClient(socketPath: server.socketPath).health()
        #expect(health.version == "9.9")
        #expect(health.pid == 7)
        #expect(health.uptimeSeconds == 1.5)
    }

    @Test("Content-Length body, read to exactly its length")
    func contentLength() async throws {
        let body = Array(Self.healthJSON.utf8)
        let wire = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
        let server = try CannedServer(pieces: [Array(wire.prefix(20)), Array(wire.dropFirst(20))])
        #expect(try await MemoryClient(socketPath: server.socketPath).health().status == "ok")
    }

    @Test("an error document without the JSON shape maps to http_<status>")
    func plainError() async throws {
        let wire = Array("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 4\r\n\r\noops".utf8)
        let server = try CannedServer(pieces: [wire])
        do throws(MemoryClientError) {
            _ = try await MemoryClient(socketPath: server.socketPath).health()
            Issue.record("a 502 succeeded")
        } catch {
            #expect(error == .server(status: 502, code: "http_502", message: "oops"))
        }
    }

    @Test("malformed and truncated responses are errors, not crashes", arguments: [
        "garbage\r\n\r\n",
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"status\"",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Le",
    ])
    func malformed(wire: String) async throws {
        let server = try CannedServer(pieces: [Array(wire.utf8)])
        do throws(MemoryClientError) {
            _ = try await MemoryClient(socketPath: server.socketPath).health()
            Issue.record("accepted \(wire.debugDescription)")
        } catch {
            switch error {
            case .invalidResponse: break
            default: Issue.record("expected .invalidResponse for \(wire.debugDescription), got \(error)")
            }
        }
    }

    @Test("a connection closed before any response is .unavailable")
    func closedEarly() async throws {
        let server = try CannedServer(pieces: [])
        do throws(MemoryClientError) {
            _ = try await MemoryClient(socketPath: server.socketPath).health()
            Issue.record("succeeded without a response")
        } catch {
            guard case .unavailable = error else {
                Issue.record("expected .unavailable, got \(error)")
                return
            }
        }
    }
}
