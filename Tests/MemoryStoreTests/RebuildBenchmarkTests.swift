import Foundation
import HNSW
@testable import MemoryStore
import Synchronization
import Testing
import VectorMath

/// Online index rebuild cost (issue: "search p99 during the rebuild vs before it, and online vs
/// offline rebuild time"), measured side by side in one run. Only when `ENGRAM_REBUILD_BENCH`
/// gives the entry count; vectors come from `ENGRAM_REBUILD_BENCH_BASE` (a TEXMEX .fvecs file,
/// e.g. the dev dataset) and queries from `ENGRAM_REBUILD_BENCH_QUERIES`, or are synthetic.
///
///     ENGRAM_REBUILD_BENCH=20000 ENGRAM_REBUILD_BENCH_BASE=../shared/datasets/pypi-20k/base.fvecs \
///     ENGRAM_REBUILD_BENCH_QUERIES=../shared/datasets/pypi-20k/queries.fvecs \
///         swift test -c release -Xswiftc -enable-testing --filter MemoryStoreTests.RebuildBenchmarkTests
///
/// "Online": a searcher (one thread, back to back) and a writer (about 100 inserts/s) run
/// throughout; "offline": the same rebuild with nothing else running, as `engram index
/// rebuild --data DIR` does it.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ENGRAM_REBUILD_BENCH"] != nil))
struct RebuildBenchmarkTests {
    static let environment = ProcessInfo.processInfo.environment

    static func load(_ variable: String, count: Int, seed: UInt64) throws -> [[Float]] {
        if let path = environment[variable] {
            let matrix = try VectorFile.readFloats(path, limit: count)
            return (0..<matrix.count).map { Array(matrix.row($0)) }
        }
        return BenchmarkTests.vectors(count, seed: seed)
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    @Test func onlineRebuildCost() throws {
        let count = Int(Self.environment["ENGRAM_REBUILD_BENCH"] ?? "") ?? 20_000
        let data = try Self.load("ENGRAM_REBUILD_BENCH_BASE", count: count, seed: 42)
        let queries = try Self.load("ENGRAM_REBUILD_BENCH_QUERIES", count: 500, seed: 7)
        let dimension = data[0].count
        try withTemporaryDirectory { dir in
            let store = try MemoryStore(path: dir + "/store")
            try store.createNamespace(NamespaceConfig(name: "bench", dimension: dimension))
            for start in stride(from: 0, to: data.count, by: 5_000) {
                let items = (start..<min(start + 5_000, data.count)).map { i in
                    (draft: MemoryDraft(text: "entry \(i)"), vector: data[i])
                }
                try store.insertBatch(items, namespace: "bench", context: testContext)
            }
            @Sendable func search(_ q: Int) throws -> Double {
                BenchmarkTests.seconds { _ = try? store.search(namespace: "bench", vector: queries[q % queries.count], k: 10, ef: 64) }
            }
            var before: [Double] = []
            for q in 0..<5_000 { before.append(try search(q)) }

            let rebuilding = Atomic<Bool>(true)
            let during = Mutex<[Double]>([])
            let writes = Atomic<Int>(0)
            let searcher = onThread {
                var q = 0, local: [Double] = []
                while rebuilding.load(ordering: .acquiring) {
                    local.append((try? search(q)) ?? .nan)
                    q += 1
                }
                during.withLock { $0 = local }
            }
            let writer = onThread {
                var i = 0
                while rebuilding.load(ordering: .acquiring) {
                    _ = try? store.insert(MemoryDraft(text: "written during the rebuild \(i)"), vector: queries[i % queries.count],
                                          namespace: "bench", context: testContext)
                    writes.add(1, ordering: .relaxed)
                    i += 1
                    Thread.sleep(forTimeInterval: 0.01)
                }
            }
            var online: IndexRebuildResult?
            let onlineSeconds = try BenchmarkTests.seconds { online = try store.rebuildIndex(namespace: "bench") }
            rebuilding.store(false, ordering: .releasing)
            searcher.wait()
            writer.wait()
            var offline: IndexRebuildResult?
            let offlineSeconds = try BenchmarkTests.seconds { offline = try store.rebuildIndex(namespace: "bench") }
            var after: [Double] = []
            for q in 0..<5_000 { after.append(try search(q)) }
            let duringRun = during.withLock { $0 }

            #expect(store.verify().problems == [])
            // The writer may land one write after the online rebuild returned; the offline one sees all.
            #expect((online?.nodes ?? 0) >= count)
            #expect(offline?.nodes == count + writes.load(ordering: .relaxed))
            func us(_ seconds: Double) -> String { String(format: "%.1f µs", seconds * 1e6) }
            print("""
            rebuild benchmark: \(count) × \(dimension), M=16 efC=200, k=10 ef=64, one searcher thread
              search before:  p50 \(us(Self.percentile(before, 0.5)))  p99 \(us(Self.percentile(before, 0.99)))  (\(before.count) searches)
              search during:  p50 \(us(Self.percentile(duringRun, 0.5)))  p99 \(us(Self.percentile(duringRun, 0.99)))  (\(duringRun.count) searches, \(writes.load(ordering: .relaxed)) writes, caught up \(online?.caughtUp ?? 0))
              search after:   p50 \(us(Self.percentile(after, 0.5)))  p99 \(us(Self.percentile(after, 0.99)))
              p99 during / before: \(String(format: "%.2f", Self.percentile(duringRun, 0.99) / Self.percentile(before, 0.99)))
              rebuild online \(String(format: "%.2f", onlineSeconds)) s, offline \(String(format: "%.2f", offlineSeconds)) s (online/offline \(String(format: "%.2f", onlineSeconds / offlineSeconds)); offline nodes \(offline?.nodes ?? 0))
            """)
        }
    }
}
