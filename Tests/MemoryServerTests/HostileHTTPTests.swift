import Foundation
import MemoryServer
import Testing
import EngramTestSupport

/// What a hostile or broken peer gets: a JSON error (never a 500, never an empty body), and
/// a connection that does not outlive its usefulness.
@Suite("Hostile HTTP: framing errors, parser rejections, methods, early refusals, idle peers")
struct HostileHTTPTests {
    func withTestServer(idleTimeout: Int = 30, _ body: (UnixHTTPClient) async throws -> Void) async throws {
        let directory = try makeSocketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = testConfiguration(socketPath: "\(directory)/d.sock")
        configuration.idleTimeoutSeconds = idleTimeout
        try await withServer(configuration) { _, client in try await body(client) }
    }

    /// The first response in `bytes`, which must be the JSON error document with `code`.
    func expectJSONError(_ bytes: [UInt8], status: Int, code: String, _ comment: String) {
        guard let response = try? UnixHTTPClient.parse(bytes) else {
            Issue.record("\(comment): no response in \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            return
        }
        #expect(response.status == status, "\(comment): \(response.text)")
        #expect(response.headers["content-type"] == "application/json", "\(comment)")
        #expect(response.errorCode == code, "\(comment): \(response.text)")
    }

    @Test("body framing errors answer 400 bad_request, a chunked body over the limit 413")
    func framingErrors() async throws {
        try await withTestServer { client in
            let cases: [(String, String, Int, String)] = [
                ("short body, then half-close",
                 "POST /test/echo HTTP/1.1\r\nHost: e\r\nContent-Length: 100\r\n\r\nonly this", 400, "bad_request"),
                ("chunk size that is not hex",
                 "POST /test/echo HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400, "bad_request"),
                ("chunk longer than announced",
                 "POST /test/echo HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n", 400, "bad_request"),
                ("chunked body over the limit",
                 "POST /test/echo HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + String(repeating: "400\r\n" + String(repeating: "a", count: 1024) + "\r\n", count: 4) + "0\r\n\r\n",
                 413, "payload_too_large"),
            ]
            for (name, request, status, code) in cases {
                expectJSONError(try await client.raw(Array(request.utf8)), status: status, code: code, name)
            }
        }
    }

    @Test("requests the HTTP parser rejects get the JSON error document, not an empty 400")
    func parserRejections() async throws {
        try await withTestServer { client in
            let cases: [(String, [UInt8])] = [
                ("HTTP/0.9", Array("GET /v1/health\r\n\r\n".utf8)),
                ("byte 0xFF in the target", Array("GET /v1/he".utf8) + [0xFF] + Array("alth HTTP/1.1\r\nHost: e\r\n\r\n".utf8)),
                ("space in the target", Array("GET /v1/he alth HTTP/1.1\r\nHost: e\r\n\r\n".utf8)),
                ("unknown method", Array("FROB /v1/health HTTP/1.1\r\nHost: e\r\n\r\n".utf8)),
                ("header without a colon", Array("GET /v1/health HTTP/1.1\r\nHost e\r\n\r\n".utf8)),
            ]
            for (name, request) in cases {
                expectJSONError(try await client.raw(request), status: 400, code: "bad_request", name)
            }
            let connect = try await client.raw(Array("CONNECT engram:80 HTTP/1.1\r\nHost: engram\r\n\r\n".utf8))
            // NIO frames every response to CONNECT without a body, so the status says it all.
            #expect(try UnixHTTPClient.parse(connect).status == 405)
            let absolute = try await client.raw(Array("GET http://engram/v1/health HTTP/1.1\r\nHost: engram\r\n\r\n".utf8))
            let absoluteAnswer = try UnixHTTPClient.parse(absolute)
            #expect(absoluteAnswer.status == 200 || absoluteAnswer.errorCode != nil, "absolute-form: \(absoluteAnswer.text)")
        }
    }

    @Test("a known path with another method is 405 method_not_allowed; an unknown path 404")
    func methodNotAllowed() async throws {
        try await withTestServer { client in
            let patch = try await client.request("PATCH", "/v1/health")
            #expect(patch.status == 405)
            #expect(patch.errorCode == "method_not_allowed")
            #expect(patch.headers["allow"] == "GET")
            let unknown = try await client.request("GET", "/v1/no-such-route")
            #expect(unknown.errorCode == "route_not_found")
        }
    }

    @Test("a body refused early closes the connection, so a client still sending is not left blocked")
    func earlyRefusalCloses() async throws {
        try await withTestServer { client in
            // Declares 64 MiB, sends a little and keeps the connection open: the server answers
            // 413 at once and closes. Without the close this read would wait for the 30 s guard.
            let head = "POST /test/echo HTTP/1.1\r\nHost: e\r\nContent-Length: 67108864\r\n\r\n"
            let bytes = try await client.raw(Array(head.utf8) + [UInt8](repeating: 0x61, count: 4096), halfClose: false)
            expectJSONError(bytes, status: 413, code: "payload_too_large", "declared body over the limit")
        }
    }

    @Test("a connection that stops sending mid-request is closed after the idle timeout")
    func idlePeerIsClosed() async throws {
        try await withTestServer(idleTimeout: 1) { client in
            // Half a head, no half-close: only the server's idle timeout ends this read.
            let bytes = try await client.raw(Array("GET /v1/health HTTP/1.1\r\nHo".utf8), halfClose: false)
            #expect(bytes.isEmpty || (try? UnixHTTPClient.parse(bytes)) != nil)
            let health = try await client.request("GET", "/v1/health")
            #expect(health.status == 200)
        }
    }
}
