import NIOCore
@testable import NATS
import Testing

@Suite("NATS protocol parser: any split of the stream, hostile input refused")
struct ParserTests {
    static let stream = Array((
        "INFO {\"server_id\":\"x\",\"max_payload\":1048576,\"headers\":true}\r\n"
            + "PING\r\nPONG\r\n+OK\r\n-ERR 'Unknown Protocol Operation'\r\n"
            + "MSG a.b 7 5\r\nhello\r\n"
            + "MSG a.b 7 reply.to 0\r\n\r\n"
            + "HMSG c 9 _INBOX.x.1 30 32\r\nNATS/1.0\r\nNats-Msg-Id: m-1\r\n\r\nhi\r\n"
            + "HMSG c 9 _INBOX.x.2 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"
    ).utf8)

    static func parseAll(_ bytes: [UInt8], chunk: Int) throws -> [ServerOperation] {
        var parser = NATSParser()
        var buffer = ByteBuffer()
        var operations: [ServerOperation] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let operation = try parser.next(from: &buffer) { operations.append(operation) }
        }
        #expect(buffer.readableBytes == 0)
        return operations
    }

    @Test("the same operations whatever the read sizes")
    func everySplit() throws {
        let whole = try Self.parseAll(Self.stream, chunk: Self.stream.count)
        #expect(whole.count == 9)
        #expect(whole[1] == .ping && whole[2] == .pong && whole[3] == .ok)
        #expect(whole[4] == .error("Unknown Protocol Operation"))
        #expect(whole[5] == .message(sid: 7, NATSMessage(subject: "a.b", payload: Array("hello".utf8))))
        #expect(whole[6] == .message(sid: 7, NATSMessage(subject: "a.b", replyTo: "reply.to", payload: [])))
        guard case .message(9, let headered) = whole[7] else { Issue.record("not a message: \(whole[7])"); return }
        #expect(headered.headers["nats-msg-id"] == "m-1" && headered.payload == Array("hi".utf8))
        guard case .message(9, let noResponders) = whole[8] else { Issue.record("not a message: \(whole[8])"); return }
        #expect(noResponders.headers.status == 503 && noResponders.payload.isEmpty)
        for chunk in [1, 2, 3, 7, 64] { #expect(try Self.parseAll(Self.stream, chunk: chunk) == whole, "chunk \(chunk)") }
    }

    @Test("hostile input is a protocol violation, never a crash", arguments: [
        "MSG a 1 99999999999999999999\r\n", "MSG a 1 -5\r\n", "MSG a 1 1e3\r\n", "MSG a x 3\r\nabc\r\n",
        "MSG a 1\r\n", "MSG a 1 2 3 4 5\r\n", "HMSG a 1 10 5\r\n", "MSG a 1 3\r\nabcXY", "BOGUS\r\n", "\r\n",
        "HMSG a 1 5 5\r\nHTTP/\r\n", "HMSG a 1 12 12\r\nNATS/1.0 5x\r\n\r\n", "MSG a 1 70000000\r\n",
        String(repeating: "x", count: 5000),
    ])
    func hostile(_ input: String) {
        #expect(throws: NATSError.self) { _ = try Self.parseAll(Array(input.utf8), chunk: 5000) }
    }

    @Test("headers written by the client parse back; CR, LF and colons cannot forge lines")
    func headerRoundTrip() throws {
        var headers = NATSHeaders([("Nats-Msg-Id", "abc"), ("Nats-Expected-Last-Subject-Sequence", "42")])
        headers.append("Evil\r\nName:", "value\r\nInjected: yes")
        let parsed = try NATSHeaders(parsing: ArraySlice(headers.encoded))
        #expect(parsed == headers)
        #expect(parsed["EvilName"] == "valueInjected: yes")
        #expect(parsed["Injected"] == nil)
    }
}
