import Foundation

/// Blocking AF_UNIX stream helpers for the floor measurement and the raw HTTP client: plain
/// `socket`/`send`/`recv`, nothing between the syscalls and the clock.
enum RawSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ what: String, _ code: Int32 = errno) { description = "\(what): \(String(cString: strerror(code)))" }
    }

    private static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure("socket path '\(path)' is empty or longer than sun_path", EINVAL)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// A connected client descriptor.
    static func connect(_ path: String) throws -> Int32 {
        var address = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket") }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure("connect \(path)", code)
        }
        return fd
    }

    /// A listening descriptor bound to `path` (which must not exist).
    static func listen(_ path: String, backlog: Int32 = 64) throws -> Int32 {
        var address = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 && Glibc.listen(fd, backlog) == 0
            }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw Failure("bind/listen \(path)", code)
        }
        return fd
    }

    /// Sends every byte. - Returns: false when the peer is gone.
    @discardableResult
    static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            if n > 0 { sent += n } else if n < 0, errno == EINTR { continue } else { return false }
        }
        return true
    }

    /// Receives exactly `buffer.count` bytes. - Returns: false on end of stream or error.
    @discardableResult
    static func receiveExactly(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        var received = 0
        while received < buffer.count {
            let n = recv(fd, buffer.baseAddress! + received, buffer.count - received, 0)
            if n > 0 { received += n } else if n < 0, errno == EINTR { continue } else { return false }
        }
        return true
    }
}
