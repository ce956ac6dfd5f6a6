@testable import MemoryClient
import Testing

/// The byte-level reader of response heads must agree with the general one wherever it
/// answers, and leave every unusual head to it.
@Suite("Response head parsing")
struct ResponseHeadTests {
    static func both(_ text: String) -> (fast: ResponseReader.ResponseHead?, general: ResponseReader.ResponseHead?) {
        let bytes = Array(text.utf8)
        let fast = bytes.withUnsafeBytes { ResponseReader.ResponseHead(bytes: $0) }
        let general = try? ResponseReader.ResponseHead(text: bytes, reader: ResponseReader(fd: -1))
        return (fast, general)
    }

    @Test("ordinary heads: same status, version and framing headers as the general parser")
    func ordinary() throws {
        for head in [
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4633\r\nDate: Sun, 29 Nov 2026 14:00:00 GMT",
            "HTTP/1.1 204 No Content",
            "HTTP/1.1 404",
            "HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 2",
            "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip, chunked\r\nConnection:close",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length:  \t7 \t\r\nX-Empty:",
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: keep-alive, close",
        ] {
            let (fast, general) = Self.both(head)
            #expect(fast != nil, "\(head)")
            #expect(fast == general, "\(head)")
        }
        let (fast, _) = Self.both("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length:  \t7 \t")
        #expect(fast?.contentLength == "7" && fast?.http11 == true && fast?.status == 200)
    }

    @Test("unusual or malformed heads are left to the general parser")
    func unusual() {
        for head in ["HTTP/1.1  200 OK", "HTTP/2 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 099 Low",
                     "HTTP/1.1 200 OK\r\nNoColonHere", "HTTP/1.1 abc", "", "garbage", "HTTP/1.10 200 OK"] {
            #expect(Self.both(head).fast == nil, "\(head)")
        }
        // The general parser still accepts what it accepted.
        #expect(Self.both("HTTP/1.1  200 OK").general?.status == 200)
    }
}
