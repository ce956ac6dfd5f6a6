import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import VectorMath

/// Creates a fresh temporary directory, runs `body` with its path, and removes it afterwards.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let path = FileManager.default.temporaryDirectory.path + "/memorystore-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Deterministic pseudo-random vector in [-1, 1)^dimension (xorshift), so failures reproduce.
func testVector(_ seed: UInt64, dimension: Int = 8) -> [Float] {
    var state = seed &* 0x9e37_79b9_7f4a_7c15 | 1
    return (0..<dimension).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(state % 20_000) / 10_000 - 1
    }
}

let testContext = AuditContext(actor: "test", reason: "because", time: Date(timeIntervalSince1970: 1_700_000_000))

/// A store at `dir/store` with namespace "ns" (dimension 8, cosine).
func openStore(_ dir: String, options: MemoryStoreOptions = MemoryStoreOptions(), createNamespace: Bool = true,
               parameters: HNSWParameters = HNSWParameters()) throws -> MemoryStore {
    let store = try MemoryStore(path: dir + "/store", options: options)
    if createNamespace { try store.createNamespace(NamespaceConfig(name: "ns", dimension: 8, parameters: parameters)) }
    return store
}

/// Inserts `count` simple entries into "ns"; returns their ids.
@discardableResult
func fill(_ store: MemoryStore, count: Int, seed: UInt64 = 0, namespace: String = "ns") throws -> [UInt64] {
    try (0..<count).map { i in
        try store.insert(MemoryDraft(text: "memory \(seed)-\(i)"), vector: testVector(seed &* 100_000 &+ UInt64(i)),
                         namespace: namespace, context: testContext).entry.id
    }
}

/// Search results of a few fixed queries, for before/after comparisons.
func probe(_ store: MemoryStore, namespace: String = "ns") throws -> [[SearchResult]] {
    try (0..<10).map { try store.search(namespace: namespace, vector: testVector(900_000 + UInt64($0)), k: 5) }
}

/// Bytes of the store's data file.
func dataFile(_ dir: String) -> String { dir + "/store/data.mdb" }

/// Finds `needle` in the file and flips the bits of the byte at `offset` past its start.
/// Returns whether it was found.
@discardableResult
func flipByte(in path: String, after needle: [UInt8], offset: Int = 0) throws -> Bool {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    guard let start = bytes.firstRange(of: needle)?.lowerBound else { return false }
    bytes[start + offset] ^= 0xff
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return true
}

/// Flips one bit inside every copy of `needle` in the file (an entry and its audit event
/// both hold the text), where ``flipByte(in:after:offset:)`` damages the first copy only.
/// Returns how many copies were hit.
func damageEveryCopy(of needle: String, in path: String) throws -> Int {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let pattern = Array(needle.utf8)
    var hits = 0
    var start = 0
    while let range = bytes[start...].firstRange(of: pattern) {
        bytes[range.lowerBound + 2] ^= 0x01
        hits += 1
        start = range.upperBound
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return hits
}
