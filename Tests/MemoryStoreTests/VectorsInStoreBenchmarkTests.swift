import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import Testing
import VectorMath

/// Searching with the float vectors in memory against reading them from the store's map
/// (`MemoryStoreOptions.vectorsInMemory`), through the store, on one imported TEXMEX set (only
/// when `ENGRAM_VECTORS_BENCH` names its directory: `base.fvecs`, `queries.fvecs`, `gt.ivecs`;
/// meant for release builds). The set is imported once; the two modes reopen the same store,
/// so they search the same graph, and are measured alternately, twice each.
///
///     ENGRAM_VECTORS_BENCH=/path/to/set swift test -c release -Xswiftc -enable-testing \
///         --filter MemoryStoreTests.VectorsInStoreBenchmarkTests
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ENGRAM_VECTORS_BENCH"] != nil))
struct VectorsInStoreBenchmarkTests {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// Resident anonymous memory of this process (kB), from /proc/self/status.
    static func anonymousKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("RssAnon:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    @Test func searchAndMemory() throws {
        let directory = ProcessInfo.processInfo.environment["ENGRAM_VECTORS_BENCH"]!
        let base = try VectorFile.readFloats(directory + "/base.fvecs")
        let queries = try VectorFile.readFloats(directory + "/queries.fvecs")
        let truth = try VectorFile.readInts(directory + "/gt.ivecs")
        let efs = (ProcessInfo.processInfo.environment["ENGRAM_VECTORS_BENCH_EF"] ?? "16,32,64,128")
            .split(separator: ",").compactMap { Int($0) }
        let k = 10
        try withTemporaryDirectory { dir in
            let path = dir + "/store"
            var rowOfID: [UInt64: Int32] = [:]
            var importOptions = MemoryStoreOptions(durability: .relaxed)
            importOptions.vectorsInMemory = ProcessInfo.processInfo.environment["ENGRAM_VECTORS_BENCH_IMPORT"] != "store"
            let importSeconds = try Self.seconds {
                let store = try MemoryStore(path: path, options: importOptions)
                try store.createNamespace(NamespaceConfig(name: "bench", dimension: base.dimension))
                for start in stride(from: 0, to: base.count, by: 5_000) {
                    let rows = start..<min(start + 5_000, base.count)
                    let items = rows.map { (draft: MemoryDraft(text: "entry \($0)"), vector: Array(base.row($0))) }
                    let written = try store.insertBatch(items, namespace: "bench", context: AuditContext(actor: "bench"))
                    for (row, result) in zip(rows, written) { rowOfID[result.entry.id] = Int32(row) }
                }
            }
            print("import of \(base.count) vectors, vectorsInMemory \(importOptions.vectorsInMemory): \(importSeconds) s")

            for round in 1...2 {
                for vectorsInMemory in [true, false] {
                    var options = MemoryStoreOptions(durability: .relaxed)
                    options.vectorsInMemory = vectorsInMemory
                    let anonymousBefore = Self.anonymousKilobytes()
                    var store: MemoryStore?
                    let openSeconds = try Self.seconds { store = try MemoryStore(path: path, options: options) }
                    let statistics = try store!.index(namespace: "bench").statistics
                    #expect(statistics.vectorsInMemory == vectorsInMemory)
                    let anonymousAfterOpen = Self.anonymousKilobytes()
                    for ef in efs {
                        var hits = 0
                        let elapsed = try Self.seconds {
                            for q in 0..<queries.count {
                                let found = try store!.search(namespace: "bench", vector: Array(queries.row(q)), k: k, ef: ef)
                                let expected = Set(truth.row(q).prefix(k))
                                hits += found.filter { expected.contains(rowOfID[$0.key] ?? -1) }.count
                            }
                        }
                        let recall = Double(hits) / Double(queries.count * k)
                        print(String(format: "round %d vectorsInMemory %@ ef %d: recall@10 %.4f, %.0f QPS", round,
                                     "\(vectorsInMemory)", ef, recall, Double(queries.count) / elapsed))
                    }
                    print(String(format: "round %d vectorsInMemory %@: open %.2f s, index %.1f MiB allocated, anonymous RSS +%.1f MiB at open",
                                 round, "\(vectorsInMemory)", openSeconds, Double(statistics.allocatedBytes) / 1_048_576,
                                 Double(anonymousAfterOpen - anonymousBefore) / 1024))
                    store = nil
                }
            }
        }
    }
}
