// Linux only, like the daemon (SO_PEERCRED, Glibc): the socket calls below are Glibc's.
import Dispatch
import Foundation
import Glibc
import Synchronization

/// One HTTP/1.1 response as read off the socket.
struct HTTPResponse: Sendable {
    var status: Int
    var body: [UInt8]
    /// Whether the connection may carry another request (HTTP/1.1 without `Connection: close`,
    /// and a body whose end was framed by Content-Length or chunking rather than EOF).
    var reusable: Bool
}

/// Why an exchange failed, before it is mapped to ``MemoryClientError``. `beforeResponse`
/// records whether no byte of a response had arrived, which is what decides if a request on a
/// reused keep-alive connection may be retried.
package struct TransportFailure: Error {
    package enum Kind { case connection, malformed }
    package var kind: Kind
    package var message: String
    package var beforeResponse: Bool
}

/// Blocking HTTP/1.1 over one connected AF_UNIX stream socket.
///
/// Plain Glibc sockets rather than NIO: the client makes one request at a time per connection
/// and waits for the answer, so an event loop would add threads and dependencies without adding
/// anything. Everything here blocks its thread; ``MemoryClient`` runs it off the cooperative pool.
/// Not thread-safe: a connection is used by one exchange at a time (the client's pool hands
/// each connection to one caller).
package struct UnixHTTPConnection: Sendable {
    let fd: Int32

    /// Largest response head accepted (status line and headers).
    static let maxHeadBytes = 64 * 1024
    /// Largest response body accepted; bigger is treated as malformed rather than exhausting memory.
    static let maxBodyBytes = 512 * 1024 * 1024

    /// Connects to the socket at `path`, with `timeoutSeconds` for every send and receive so a
    /// hung daemon surfaces as an error instead of blocking the caller forever.
    static func connect(path: String, timeoutSeconds: Int) throws(TransportFailure) -> UnixHTTPConnection {
        UnixHTTPConnection(fd: try openSocket(path: path, timeoutSeconds: timeoutSeconds))
    }

    /// A stream socket connected to `path` with send and receive timeouts; the caller closes
    /// it. Also the tests' raw client's connection (EngramTestSupport).
    package static func openSocket(path: String, timeoutSeconds: Int) throws(TransportFailure) -> Int32 {
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw TransportFailure(kind: .connection, message: "invalid socket path '\(path)' (1–\(capacity - 1) bytes)",
                                   beforeResponse: true)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            throw TransportFailure(kind: .connection, message: "socket: \(errnoText())", beforeResponse: true)
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let message = errnoText()
            _ = Glibc.close(fd)
            throw TransportFailure(kind: .connection, message: "connect \(path): \(message)", beforeResponse: true)
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    func close() { _ = Glibc.close(fd) }

    /// Whether an idle keep-alive connection still looks open: the daemon closes idle
    /// connections, and finding that out before sending avoids writing a request into a socket
    /// the peer has already shut (where a non-idempotent request could not safely be retried).
    func isAlive() -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        if ready == 0 { return true }  // nothing to read, no hang-up: open
        if ready < 0 { return false }
        if descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return false }
        // Readable while idle: either EOF (closed) or stray bytes (out of sync); neither is usable.
        return false
    }

    /// Sends one request and reads its response.
    func exchange(method: String, target: String, headers: [(String, String)],
                  body: [UInt8]?) throws(TransportFailure) -> HTTPResponse {
        // Appended as bytes into one array sized up front (a `String` head, then its bytes, then
        // the body appended, copied everything twice).
        var request: [UInt8] = []
        request.reserveCapacity(96 + target.utf8.count + headers.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 }
                                + (body?.count ?? 0))
        request.append(contentsOf: method.utf8)
        request.append(UInt8(ascii: " "))
        request.append(contentsOf: target.utf8)
        request.append(contentsOf: " HTTP/1.1\r\nHost: engram\r\n".utf8)
        for (name, value) in headers {
            request.append(contentsOf: name.utf8)
            request.append(contentsOf: ": ".utf8)
            request.append(contentsOf: value.utf8)
            request.append(contentsOf: "\r\n".utf8)
        }
        if let body {
            request.append(contentsOf: "Content-Length: ".utf8)
            request.append(contentsOf: String(body.count).utf8)
            request.append(contentsOf: "\r\n".utf8)
        }
        request.append(contentsOf: "\r\n".utf8)
        if let body { request.append(contentsOf: body) }
        try send(request)
        var reader = ResponseReader(fd: fd)
        while true {
            let response = try reader.readResponse(method: method)
            // 1xx responses are interim (we never send Expect, but a server may still send one).
            if (100..<200).contains(response.status) { continue }
            // Bytes beyond the response would belong to no request: the stream is out of sync.
            var result = response
            if reader.hasBufferedBytes { result.reusable = false }
            return result
        }
    }

    private func send(_ bytes: [UInt8]) throws(TransportFailure) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                continue
            }
            if n < 0, errno == EINTR { continue }
            throw TransportFailure(kind: .connection, message: "send: \(n < 0 ? errnoText() : "connection closed")",
                                   beforeResponse: true)
        }
    }
}

/// Reads one response from a blocking socket, tolerating any split of the bytes across reads.
struct ResponseReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    private var receivedAny = false
    private var eof = false

    init(fd: Int32) { self.fd = fd }

    var hasBufferedBytes: Bool { position < buffer.count }

    mutating func readResponse(method: String) throws(TransportFailure) -> HTTPResponse {
        let headBytes = try readHead()
        let head: ResponseHead
        if let quick = headBytes.withUnsafeBytes({ ResponseHead(bytes: $0) }) {
            head = quick
        } else {
            head = try ResponseHead(text: headBytes, reader: self)
        }
        let connectionTokens = (head.connection ?? "").lowercased().split(separator: ",").map { $0.trimmingASCIISpaces() }
        var reusable = head.http11 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")

        let status = head.status
        let body: [UInt8]
        if method == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 {
            body = []
        } else if let encoding = head.transferEncoding {
            guard encoding.lowercased().split(separator: ",").last?.trimmingASCIISpaces() == "chunked" else {
                throw malformed("unsupported transfer-encoding '\(encoding)'")
            }
            body = try readChunked()
        } else if let lengthText = head.contentLength {
            guard let length = Int(lengthText), length >= 0 else { throw malformed("bad content-length '\(lengthText)'") }
            guard length <= UnixHTTPConnection.maxBodyBytes else { throw malformed("body of \(length) bytes is too large") }
            body = try readExactly(length)
        } else {
            body = try readToEnd()
            reusable = false
        }
        return HTTPResponse(status: status, body: body, reusable: reusable)
    }

    /// What the client needs from a response head: the status, the version, and the three
    /// headers that frame the body and the connection (a repeated header keeps its last value).
    struct ResponseHead: Equatable {
        var status: Int
        var http11: Bool
        var connection: String?
        var transferEncoding: String?
        var contentLength: String?

        /// From the bytes, for the heads a server normally sends (`HTTP/1.1 200 OK`, one space
        /// apart; every header line with a colon); `nil` for anything else, which
        /// ``init(text:reader:)`` then parses or reports. Makes strings only of the three
        /// values it keeps: the general parser split the head into a `String` per line and a
        /// dictionary of every header, most of a response read's time (see
        /// docs/performance.md#client-transport).
        init?(bytes head: UnsafeRawBufferPointer) {
            func at(_ index: Int) -> UInt8 { index < head.count ? head[index] : 0 }
            // "HTTP/1.x SSS" then a space or the end of the line.
            guard head.count >= 12, Array(head[0..<7]) == Array("HTTP/1.".utf8),
                  at(7) == UInt8(ascii: "1") || at(7) == UInt8(ascii: "0"), at(8) == UInt8(ascii: " ") else { return nil }
            var status = 0
            for index in 9..<12 {
                let digit = at(index) &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                status = status * 10 + Int(digit)
            }
            guard (100...599).contains(status), at(12) == UInt8(ascii: " ") || at(12) == 13 || head.count == 12 else { return nil }
            self.status = status
            http11 = at(7) == UInt8(ascii: "1")
            // Header lines.
            var lineStart = 0
            while lineStart < head.count, !(head[lineStart] == 13 && at(lineStart + 1) == 10) { lineStart += 1 }
            lineStart += 2
            while lineStart < head.count {
                var lineEnd = lineStart
                while lineEnd < head.count, !(head[lineEnd] == 13 && at(lineEnd + 1) == 10) { lineEnd += 1 }
                if lineEnd > lineStart {
                    guard let colon = (lineStart..<lineEnd).first(where: { head[$0] == UInt8(ascii: ":") }) else { return nil }
                    let name = UnsafeRawBufferPointer(rebasing: head[lineStart..<colon])
                    var valueStart = colon + 1, valueEnd = lineEnd
                    while valueStart < valueEnd, head[valueStart] == 0x20 || head[valueStart] == 0x09 { valueStart += 1 }
                    while valueEnd > valueStart, head[valueEnd - 1] == 0x20 || head[valueEnd - 1] == 0x09 { valueEnd -= 1 }
                    let value = { String(decoding: UnsafeRawBufferPointer(rebasing: head[valueStart..<valueEnd]), as: UTF8.self) }
                    if Self.name(name, is: "content-length") {
                        contentLength = value()
                    } else if Self.name(name, is: "connection") {
                        connection = value()
                    } else if Self.name(name, is: "transfer-encoding") {
                        transferEncoding = value()
                    }
                }
                lineStart = lineEnd + 2
            }
        }

        /// Whether a header name is `lowercase` (given lower-cased), ignoring ASCII case.
        static func name(_ name: UnsafeRawBufferPointer, is lowercase: StaticString) -> Bool {
            guard name.count == lowercase.utf8CodeUnitCount else { return false }
            let expected = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: name.count)
            for index in 0..<name.count {
                let byte = name[index]
                let lowered = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
                if lowered != expected[index] { return false }
            }
            return true
        }

        /// The general parser: any spacing `String.split` accepts; malformed heads are reported.
        init(text headBytes: [UInt8], reader: ResponseReader) throws(TransportFailure) {
            let head = String(decoding: headBytes, as: UTF8.self)
            var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            guard !lines.isEmpty else { throw reader.malformed("empty response head") }
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]),
                  (100...599).contains(status) else {
                throw reader.malformed("bad status line '\(statusLine.prefix(80))'")
            }
            self.status = status
            http11 = parts[0] == "HTTP/1.1"
            for line in lines where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { throw reader.malformed("bad header line '\(line.prefix(80))'") }
                let value = line[line.index(after: colon)...].trimmingASCIISpaces()
                switch line[..<colon].lowercased() {
                case "content-length": contentLength = value
                case "connection": connection = value
                case "transfer-encoding": transferEncoding = value
                default: break
                }
            }
        }
    }

    func malformed(_ message: String) -> TransportFailure {
        TransportFailure(kind: .malformed, message: "malformed response: \(message)", beforeResponse: !receivedAny)
    }

    /// Reads more bytes into the buffer; returns false at EOF.
    private mutating func fill() throws(TransportFailure) -> Bool {
        if eof { return false }
        if position > 0, position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        // Received straight into uninitialized scratch space: no 64 KiB zero-fill per read.
        let fd = self.fd
        let (received, code): (Int, Int32) = withUnsafeTemporaryAllocation(byteCount: 64 * 1024, alignment: 16) { scratch in
            while true {
                let n = recv(fd, scratch.baseAddress, scratch.count, 0)
                if n > 0 {
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                    return (n, 0)
                }
                if n == 0 { return (0, 0) }
                let code = errno
                if code == EINTR { continue }
                return (-1, code)
            }
        }
        if received > 0 {
            receivedAny = true
            return true
        }
        if received == 0 {
            eof = true
            return false
        }
        let message = code == EAGAIN || code == EWOULDBLOCK ? "timed out waiting for the daemon" : "recv: \(errnoText(code))"
        throw TransportFailure(kind: .connection, message: message, beforeResponse: !receivedAny)
    }

    private func truncated(_ what: String) -> TransportFailure {
        TransportFailure(kind: receivedAny ? .malformed : .connection,
                         message: receivedAny ? "connection closed in the middle of the \(what)" : "connection closed by the daemon",
                         beforeResponse: !receivedAny)
    }

    private mutating func readHead() throws(TransportFailure) -> [UInt8] {
        // Offsets are relative to `position`: `fill` may compact the buffer.
        var scanned = 0
        while true {
            while position + scanned + 3 < buffer.count {
                let index = position + scanned
                if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 {
                    let head = Array(buffer[position..<index])
                    position = index + 4
                    return head
                }
                scanned += 1
            }
            if buffer.count - position > UnixHTTPConnection.maxHeadBytes { throw malformed("response head too large") }
            guard try fill() else { throw truncated("response head") }
        }
    }

    private mutating func readExactly(_ count: Int) throws(TransportFailure) -> [UInt8] {
        while buffer.count - position < count {
            guard try fill() else { throw truncated("response body") }
        }
        let bytes = Array(buffer[position..<position + count])
        position += count
        return bytes
    }

    /// One CRLF-terminated line (without the CRLF), of at most `limit` bytes.
    private mutating func readLine(limit: Int) throws(TransportFailure) -> [UInt8] {
        var scanned = 0  // relative to `position`, which `fill` may move
        while true {
            while position + scanned + 1 < buffer.count {
                let index = position + scanned
                if buffer[index] == 13, buffer[index + 1] == 10 {
                    let line = Array(buffer[position..<index])
                    position = index + 2
                    return line
                }
                scanned += 1
            }
            if buffer.count - position > limit { throw malformed("line too long") }
            guard try fill() else { throw truncated("chunked body") }
        }
    }

    private mutating func readChunked() throws(TransportFailure) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine(limit: 1024)
            // Chunk extensions (";name=value") are allowed and ignored.
            let sizeText = String(decoding: line.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self).trimmingASCIISpaces()
            guard !sizeText.isEmpty, sizeText.count <= 16, let size = Int(sizeText, radix: 16), size >= 0 else {
                throw malformed("bad chunk size '\(sizeText.prefix(20))'")
            }
            if size == 0 {
                // Trailer fields, then the final empty line.
                while try !readLine(limit: UnixHTTPConnection.maxHeadBytes).isEmpty {}
                return body
            }
            guard body.count + size <= UnixHTTPConnection.maxBodyBytes else { throw malformed("chunked body too large") }
            body += try readExactly(size)
            guard try readExactly(2) == [13, 10] else { throw malformed("chunk not followed by CRLF") }
        }
    }

    private mutating func readToEnd() throws(TransportFailure) -> [UInt8] {
        while try fill() {
            if buffer.count - position > UnixHTTPConnection.maxBodyBytes { throw malformed("body too large") }
        }
        let bytes = Array(buffer[position...])
        position = buffer.count
        return bytes
    }
}

func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (header whitespace), without Foundation.
    func trimmingASCIISpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

// MARK: - I/O threads

/// Long-lived threads that run the client's blocking exchanges, so no call ever blocks a thread
/// of Swift's cooperative pool and no call waits for a thread to be free.
///
/// Why not a thread per call (what the client did first): starting a `Thread` per request, plus
/// its cold stack, cost a large share of a vector search over the socket. Why not Dispatch:
/// libdispatch on Linux adds workers only slowly when the ones it has block (a burst of
/// concurrent calls on a 2-core machine spent seconds waiting for threads). Both are measured
/// in docs/performance.md#client-transport. This pool hands a job to a parked thread when one
/// is idle (a mutex push/pop and a semaphore signal) and starts a new thread otherwise, so
/// concurrency is never capped; at most ``maxIdleThreads`` stay parked, and a parked thread
/// exits after ``idleSeconds`` unused.
final class IOThreadPool: Sendable {
    typealias Job = @Sendable () -> Void

    /// One thread's parking spot: the job slot is written before `wake` is signalled and read
    /// after the wait returns, and the `Mutex` makes that hand-over safe.
    private final class Worker: Sendable {
        let wake = DispatchSemaphore(value: 0)
        let job = Mutex<Job?>(nil)
    }

    /// The process-wide pool every ``MemoryClient`` shares (threads are a process resource).
    static let shared = IOThreadPool(maxIdleThreads: 16, idleSeconds: 10)

    let maxIdleThreads: Int
    let idleSeconds: Double
    /// Parked workers, most recently parked last (reused first, while its stack is warm).
    private let idle = Mutex<[Worker]>([])

    init(maxIdleThreads: Int, idleSeconds: Double) {
        self.maxIdleThreads = maxIdleThreads
        self.idleSeconds = idleSeconds
    }

    /// Runs `job` on a pool thread: a parked one when there is one, else a new one. Never
    /// waits. O(1).
    func run(_ job: @escaping Job) {
        if let worker = idle.withLock({ $0.popLast() }) {
            worker.job.withLock { $0 = job }
            worker.wake.signal()
            return
        }
        let worker = Worker()
        let thread = Thread { [self] in self.loop(worker, first: job) }
        thread.name = "engram-client-io"
        thread.start()
    }

    private func loop(_ worker: Worker, first: Job) {
        var job = first
        while true {
            job()
            guard let next = park(worker) else { return }
            job = next
        }
    }

    /// Parks `worker` until `run` hands it a job; `nil` when it should exit instead (enough
    /// threads are parked already, or it stayed idle for `idleSeconds`).
    private func park(_ worker: Worker) -> Job? {
        let parked = idle.withLock { workers in
            guard workers.count < maxIdleThreads else { return false }
            workers.append(worker)
            return true
        }
        guard parked else { return nil }
        while true {
            if worker.wake.wait(timeout: .now() + idleSeconds) == .success {
                if let job = worker.job.withLock({ slot in defer { slot = nil }; return slot }) { return job }
                continue
            }
            // Timed out: leave unless `run` popped this worker just now (its signal is coming).
            let removed = idle.withLock { workers in
                guard let index = workers.firstIndex(where: { $0 === worker }) else { return false }
                workers.remove(at: index)
                return true
            }
            if removed { return nil }
        }
    }
}
