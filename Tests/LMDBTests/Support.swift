import Foundation
import LMDB
import Synchronization

/// Creates a fresh temporary directory, runs `body` with its path, and removes it afterwards.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let base = FileManager.default.temporaryDirectory.path
    let path = base + "/lmdb-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Bytes of a UTF-8 string, for readable test keys.
func b(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out[i] = UInt8(truncatingIfNeeded: state)
    }
    return out
}

/// Runs `count` OS threads (real parallelism, independent of the cooperative pool) and
/// waits for all of them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}

/// Thread-safe collection of failures found on background threads.
final class Failures: Sendable {
    private let items = Mutex<[String]>([])
    func add(_ message: String) { items.withLock { $0.append(message) } }
    var all: [String] { items.withLock { $0 } }
}

/// Overwrites `count` bytes at `offset` of the file at `path`.
func patchFile(_ path: String, offset: UInt64, bytes: [UInt8]) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: Data(bytes))
}

func readFile(_ path: String, offset: UInt64, count: Int) throws -> [UInt8] {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    return Array(try handle.read(upToCount: count) ?? Data())
}
