import Foundation

/// A minimal blocking HTTP/1.1 client on one keep-alive AF_UNIX connection. It sends the
/// byte-for-byte request MemoryClient sends (same head lines, same sorted-key JSON body) and
/// reads a `Content-Length` response without decoding it. Used to measure the real request
/// and response sizes for the floor, and as a second end-to-end figure without MemoryClient's
/// per-call thread and JSON decoding: the gap between the two is client-side cost.
final class RawHTTPClient {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    struct Exchange {
        var status: Int
        var requestBytes: Int
        var responseBytes: Int
        var body: ArraySlice<UInt8>
    }

    init(socketPath: String) throws { fd = try RawSocket.connect(socketPath) }
    deinit { close(fd) }

    /// The request MemoryClient writes for `method target`, with a JSON body or none.
    static func request(method: String, target: String, body: [UInt8]?) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: engram\r\nAccept: application/json\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    /// Sends `request` and reads one whole response.
    func exchange(_ request: [UInt8]) throws -> Exchange {
        guard request.withUnsafeBytes({ RawSocket.sendAll(fd, $0) }) else { throw RawSocket.Failure("send") }
        var filled = 0
        var headEnd = -1
        while headEnd < 0 {
            guard filled < buffer.count else { throw RawSocket.Failure("response head too large", EMSGSIZE) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, $0.count - filled, 0) }
            if n <= 0 { throw RawSocket.Failure("recv", n == 0 ? ECONNRESET : errno) }
            let from = max(0, filled - 3)
            filled += n
            if filled >= 4 {
                for i in from...(filled - 4)
                where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    headEnd = i + 4
                    break
                }
            }
        }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else {
            throw RawSocket.Failure("bad status line", EPROTO)
        }
        guard let lengthLine = lines.first(where: { $0.lowercased().hasPrefix("content-length:") }),
              let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) else {
            throw RawSocket.Failure("response without Content-Length (chunked responses are not supported here)", EPROTO)
        }
        let total = headEnd + length
        if total > buffer.count { buffer += [UInt8](repeating: 0, count: total - buffer.count) }
        while filled < total {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, total - filled, 0) }
            if n <= 0 { throw RawSocket.Failure("recv body", n == 0 ? ECONNRESET : errno) }
            filled += n
        }
        return Exchange(status: status, requestBytes: request.count, responseBytes: total,
                        body: buffer[headEnd..<total])
    }
}

/// JSON bodies as MemoryClient encodes them (sorted keys, `vector_b64` little-endian float32).
enum WireBody {
    static func vectorSearch(_ vector: [Float], k: Int, ef: Int?) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        var json = "{"
        if let ef { json += "\"ef\":\(ef)," }
        json += "\"k\":\(k),\"vector_b64\":\"\(Data(bytes).base64EncodedString())\"}"
        return Array(json.utf8)
    }

    static func textSearch(_ text: String, k: Int, ef: Int?) throws -> [UInt8] {
        struct Body: Encodable { var ef: Int?; var k: Int; var text: String }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(Body(ef: ef, k: k, text: text)))
    }
}
