#if canImport(Glibc)
import Glibc
#endif
import EngramTestSupport
import Foundation

/// A fresh, short directory for a socket (see `makeTemporaryDirectory`).
func makeSocketDirectory() throws -> String {
    try makeTemporaryDirectory(prefix: "engram-client")
}

/// Runs engramd in process over a fresh store, runs `body` with its socket path, then shuts
/// it down gracefully.
func withEngramd(_ body: (String) async throws -> Void) async throws {
    try await withTestDaemon { daemon in try await body(daemon.socketPath) }
}

/// A one-connection fake daemon: accepts one client on a fresh socket, reads one request head,
/// writes `pieces` one `send` each (so the client sees the response split across reads), then
/// closes. For response framing the real daemon never produces (chunked, malformed, cut off).
final class CannedServer: Sendable {
    let socketPath: String
    private let listener: Int32
    private let directory: String

    init(pieces: [[UInt8]]) throws {
        directory = try makeSocketDirectory()
        socketPath = "\(directory)/canned.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 && listen(fd, 4) == 0
            }
        }
        guard bound else {
            close(fd)
            throw CannedServerError()
        }
        listener = fd
        let thread = Thread { [fd] in
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !received.ends(with: [13, 10, 13, 10]) {
                let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                received += buffer[0..<n]
            }
            for piece in pieces {
                _ = piece.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                usleep(2_000)  // lets the client observe separate reads; correctness never depends on it
            }
        }
        thread.start()
    }

    deinit {
        close(listener)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct CannedServerError: Error {}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// Runs blocking `body` on a thread of its own (never on the cooperative pool, which the
/// in-process daemon needs) and waits for it.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
