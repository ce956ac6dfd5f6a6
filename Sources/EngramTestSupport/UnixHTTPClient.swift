#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import MemoryClient

/// The tests' raw client: a minimal HTTP/1.1 client over AF_UNIX, written with plain sockets so the tests exercise the
/// real socket file (path, mode, SO_PEERCRED) exactly as curl --unix-socket would.
/// One request per connection (`Connection: close`); the response is read to EOF.
/// Blocking calls run on a thread of their own, never on the cooperative pool the server uses.
public struct UnixHTTPClient: HTTPTestClient {
    public typealias Response = TestHTTPResponse

    public struct ClientError: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) { self.description = description }
    }

    /// Where to connect: the Unix socket path, or a loopback TCP port when `tcpPort` is set.
    public let socketPath: String
    public var tcpPort: Int? = nil

    public init(socketPath: String) { self.socketPath = socketPath }
    public init(tcpPort: Int) { self.socketPath = ""; self.tcpPort = tcpPort }

    public func request(_ method: String, _ path: String, body: [UInt8]? = nil,
                 headers: [(String, String)] = []) async throws -> Response {
        let socketPath = self.socketPath
        let tcpPort = self.tcpPort
        return try await withCheckedThrowingContinuation { continuation in
            // A thread of its own per request: Dispatch's global queue on Linux is only as wide
            // as the cores and cannot see that its threads block in recv(2), so concurrent
            // requests (parallel tests, several searchers) would queue behind each other for
            // about a second each before it adds a thread.
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    let fd = try tcpPort.map(Self.connect(tcpPort:)) ?? Self.connect(to: socketPath)
                    return try Self.exchange(fd: fd, method: method, path: path, body: body, headers: headers)
                })
            }
        }
    }

    /// Sends `bytes` exactly as given (malformed requests included), half-closes the
    /// connection when `halfClose`, and reads until the server closes it. Returns the raw
    /// bytes received (possibly none).
    public func raw(_ bytes: [UInt8], halfClose: Bool = true) async throws -> [UInt8] {
        let socketPath = self.socketPath
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    let fd = try Self.connect(to: socketPath)
                    defer { close(fd) }
                    var sent = 0
                    while sent < bytes.count {
                        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        if n <= 0 { break }
                        sent += n
                    }
                    if halfClose { shutdown(fd, Int32(SHUT_WR)) }
                    return try Self.readToEnd(fd)
                })
            }
        }
    }

    /// Reads until EOF (or a reset); throws when the 30 s receive guard expires first.
    public static func readToEnd(_ fd: Int32) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received += chunk[0..<n]; continue }
            if n == 0 || errno == ECONNRESET { return received }
            throw ClientError(description: "recv: \(String(cString: strerror(errno)))")
        }
    }

    /// Connects to `path` (MemoryClient's own connection, with a 30 s guard against a hung
    /// test, not a timing assertion); returns the connected fd (caller closes).
    public static func connect(to path: String) throws -> Int32 {
        do {
            return try UnixHTTPConnection.openSocket(path: path, timeoutSeconds: 30)
        } catch {
            throw ClientError(description: error.message)
        }
    }

    /// Connects to 127.0.0.1:`port`.
    public static func connect(tcpPort port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw ClientError(description: "connect 127.0.0.1:\(port): \(String(cString: strerror(code)))")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// A loopback TCP port that was free a moment ago (bound to port 0, read back, closed).
    public static func freeTCPPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw ClientError(description: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func exchange(fd: Int32, method: String, path: String, body: [UInt8]?,
                                 headers: [(String, String)]) throws -> Response {
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: engram\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var request = Array(head.utf8)
        if let body { request += body }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer (413, 403) and close before reading everything we send.
            if n <= 0 { break }
            sent += n
        }
        return try parse(try readToEnd(fd))
    }

    public static func parse(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw ClientError(description: "no complete response head in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw ClientError(description: "bad status line \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init), length <= body.count {
            body = Array(body[0..<length])
        } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body)
        }
        return Response(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self), radix: 16) else {
                throw ClientError(description: "bad chunk")
            }
            if size == 0 { break }
            out += bytes[(lineEnd + 2)..<(lineEnd + 2 + size)]
            index = lineEnd + 2 + size + 2
        }
        return out
    }
}

/// A response as a test reads it: status, lower-cased header names, body.
public struct TestHTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]  // lower-cased names
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    /// `error.code` of the JSON error document, if this is one.
    public var errorCode: String? { ((json?["error"] as? [String: Any])?["code"]) as? String }
}

/// What the tests send requests through: a real socket (``UnixHTTPClient``) or the router
/// alone (``RouterTestClient``).
public protocol HTTPTestClient: Sendable {
    /// Sends one request; the path may carry a query.
    func perform(_ method: String, _ path: String, body: [UInt8]?, headers: [(String, String)]) async throws
        -> TestHTTPResponse
}

extension HTTPTestClient {
    /// ``perform(_:_:body:headers:)`` with the body and headers optional.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil,
                        headers: [(String, String)] = []) async throws -> TestHTTPResponse {
        try await perform(method, path, body: body, headers: headers)
    }
}

extension UnixHTTPClient {
    public func perform(_ method: String, _ path: String, body: [UInt8]?, headers: [(String, String)]) async throws
        -> TestHTTPResponse {
        try await request(method, path, body: body, headers: headers)
    }
}
