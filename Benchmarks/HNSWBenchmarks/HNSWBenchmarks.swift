import Benchmark
import Foundation
import HNSW
import Synchronization
import VectorMath

/// Kernel and search micro-benchmarks with allocation and reference-counting counts:
/// `make bench-micro` (swift package benchmark --target HNSWBenchmarks).
///
/// The search benchmark uses the development dataset when `../shared` is beside the checkout
/// and 20k clustered synthetic 384-d vectors otherwise.
let benchmarks: @Sendable () -> Void = {
    BLASBackend.useSingleThread()
    // Reference-counting metrics (.retainCount/.releaseCount) need package-benchmark's runtime
    // interposer on Linux with Swift 6.3, which the package mirror here lacks; the runtime's own
    // hooks crash under 6.3. Retain/release counts of a search are measured with callgrind
    // instead: the recipe is in docs/benchmarks.md#allocation-and-arc, the counts in
    // docs/performance.md#hnsw-search-and-build.
    let countingMetrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .memoryLeaked, .instructions]

    for dimension in [128, 384, 768] {
        let a = (0..<dimension).map { Float(sin(Double($0))) }
        let b = (0..<dimension).map { Float(cos(Double($0))) }
        Benchmark(
            "dot \(dimension)d",
            configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .mega)
        ) { benchmark in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    for _ in benchmark.scaledIterations {
                        blackHole(Kernels.dot(pa.baseAddress!, pb.baseAddress!, count: dimension))
                    }
                }
            }
        }
    }

    for ef in [32, 64] {
        Benchmark(
            "HNSW search k=10 ef=\(ef)",
            configuration: .init(metrics: countingMetrics, scalingFactor: .kilo, maxDuration: .seconds(10)),
            closure: { benchmark, fixture in
                var results: [SearchResult] = []
                results.reserveCapacity(64)
                // Steady state: a first search grows the scratch and heaps to their working size.
                try fixture.queries.withUnsafeBufferPointer { queries in
                    let d = fixture.dimension
                    try fixture.index.search(UnsafeBufferPointer(rebasing: queries[0..<d]), k: 10, ef: ef, into: &results)
                    benchmark.startMeasurement()
                    for i in benchmark.scaledIterations {
                        let q = i % fixture.queryCount
                        try fixture.index.search(
                            UnsafeBufferPointer(rebasing: queries[q * d ..< (q + 1) * d]), k: 10, ef: ef, into: &results)
                        blackHole(results)
                    }
                    benchmark.stopMeasurement()
                }
            },
            setup: { try SearchFixture.shared() })
    }
}

/// An index built once and shared by the search benchmarks.
final class SearchFixture: Sendable {
    let index: HNSWIndex
    let queries: [Float]
    let dimension: Int
    var queryCount: Int { queries.count / dimension }

    private init(index: HNSWIndex, queries: [Float], dimension: Int) {
        self.index = index
        self.queries = queries
        self.dimension = dimension
    }

    private static let cache = Mutex<SearchFixture?>(nil)

    static func shared() throws -> SearchFixture {
        if let fixture = cache.withLock({ $0 }) { return fixture }
        let (base, queries, dimension) = try loadVectors()
        let index = try HNSWIndex(dimension: dimension, parameters: HNSWParameters(m: 16, efConstruction: 200))
        try base.withUnsafeBufferPointer { all in
            for row in 0..<(base.count / dimension) {
                try index.insert(UnsafeBufferPointer(rebasing: all[row * dimension ..< (row + 1) * dimension]), key: UInt64(row))
            }
        }
        let fixture = SearchFixture(index: index, queries: queries, dimension: dimension)
        cache.withLock { $0 = fixture }
        return fixture
    }

    private static func loadVectors() throws -> (base: [Float], queries: [Float], dimension: Int) {
        let dataset = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/datasets/pypi-20k")
        if let base = try? VectorFile.readFloats(dataset.appendingPathComponent("base.fvecs").path),
           let queries = try? VectorFile.readFloats(dataset.appendingPathComponent("queries.fvecs").path) {
            return (base.values, queries.values, base.dimension)
        }
        var state: UInt64 = 42
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        let dimension = 384
        let centres = (0..<100).map { _ in (0..<dimension).map { _ in next() } }
        func point(_ i: Int) -> [Float] { centres[i % 100].map { $0 + 0.4 * next() } }
        return ((0..<20_000).flatMap(point), (0..<500).flatMap(point), dimension)
    }
}
