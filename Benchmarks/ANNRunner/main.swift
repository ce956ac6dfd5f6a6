import ArgumentParser
import Foundation
import HNSW
import VectorMath

/// Builds an Engram HNSW index from TEXMEX files and sweeps `ef`, printing one CSV row per value
/// (the same columns as Benchmarks/peers/ann_peers.py, so the two outputs form one table).
@main
struct ANNRunner: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engram-ann",
        abstract: "Recall, single-query throughput and latency of Engram's HNSW on a TEXMEX dataset.")

    @Option(help: "Base vectors (.fvecs).") var base: String
    @Option(help: "Query vectors (.fvecs).") var queries: String
    @Option(help: "Ground truth (.ivecs): per query the ids of its nearest base vectors, best first.") var truth: String
    @Option(name: .customLong("M"), help: "Links per node (M).") var m: Int = 16
    @Option(name: .customLong("efc"), help: "efConstruction.") var efConstruction: Int = 200
    @Option(help: "Comma-separated ef values to sweep.") var ef: String = "10,16,32,64,128,256"
    @Option(help: "cosine (inner product on normalised vectors) or l2.") var metric: Metric = .cosine
    @Option(help: "Recall@k and results per query.") var k: Int = 10
    @Flag(help: "Omit the CSV header.") var noHeader = false

    func run() throws {
        let backend = BLASBackend.current
        BLASBackend.useSingleThread()
        log("BLAS: \(backend)")
        if let warning = backend.warning { log(warning) }

        let efValues = try ef.split(separator: ",").map { part -> Int in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw ValidationError("--ef: '\(part)' is not a positive integer")
            }
            return value
        }
        let baseVectors = try VectorFile.readFloats(base)
        let queryVectors = try VectorFile.readFloats(queries)
        let truthIds = try VectorFile.readInts(truth)
        guard baseVectors.dimension == queryVectors.dimension else {
            throw ValidationError("base has dimension \(baseVectors.dimension), queries \(queryVectors.dimension)")
        }
        guard truthIds.count >= queryVectors.count, truthIds.dimension >= k else {
            throw ValidationError("ground truth has \(truthIds.count) rows of \(truthIds.dimension) ids; need \(queryVectors.count) rows of at least \(k)")
        }
        log("base \(baseVectors.count)×\(baseVectors.dimension), \(queryVectors.count) queries")

        _ = malloc_trim(0)  // return freed input buffers, so the baseline counts only live memory
        let residentBefore = residentMegabytes()
        let buildStart = now()
        let index = try HNSWIndex(
            dimension: baseVectors.dimension, metric: metric,
            parameters: HNSWParameters(m: m, efConstruction: efConstruction))
        try baseVectors.values.withUnsafeBufferPointer { all in
            let d = baseVectors.dimension
            for row in 0..<baseVectors.count {
                try index.insert(UnsafeBufferPointer(rebasing: all[row * d ..< (row + 1) * d]), key: UInt64(row))
                if row % 5000 == 4999 { log("inserted \(row + 1)") }
            }
        }
        let buildSeconds = Double(now() - buildStart) / 1e9
        _ = malloc_trim(0)
        // The base vectors stay alive until after the measurement: Swift could otherwise free
        // them after their last use, and the delta would hide the index behind their release.
        let memory = withExtendedLifetime(baseVectors) { residentMegabytes() - residentBefore }
        log(String(format: "built in %.2f s, %.1f MiB resident, %.1f MiB allocated for the graph",
                   buildSeconds, memory, Double(index.statistics.allocatedBytes) / 1_048_576))

        if !noHeader { print("engine,M,efC,ef,recall10,qps_single,p50_us,p99_us,build_s,mem_mb") }
        var results: [SearchResult] = []
        results.reserveCapacity(max(k, 256))
        var latencies = [UInt64](repeating: 0, count: queryVectors.count)
        try queryVectors.values.withUnsafeBufferPointer { all in
            let d = queryVectors.dimension
            for efValue in efValues {
                for q in 0..<min(50, queryVectors.count) {  // warm-up: caches, scratch, branch predictors
                    try index.search(UnsafeBufferPointer(rebasing: all[q * d ..< (q + 1) * d]), k: k, ef: efValue, into: &results)
                }
                var hits = 0
                let sweepStart = now()
                for q in 0..<queryVectors.count {
                    let start = now()
                    try index.search(UnsafeBufferPointer(rebasing: all[q * d ..< (q + 1) * d]), k: k, ef: efValue, into: &results)
                    latencies[q] = now() - start
                    let expected = Set(truthIds.row(q).prefix(k).map { UInt64($0) })
                    hits += results.prefix(k).reduce(0) { $0 + (expected.contains($1.key) ? 1 : 0) }
                }
                let total = Double(now() - sweepStart) / 1e9
                latencies.sort()
                let recall = Double(hits) / Double(queryVectors.count * k)
                print(String(
                    format: "engram,%d,%d,%d,%.4f,%.1f,%.1f,%.1f,%.2f,%.1f",
                    m, efConstruction, efValue, recall, Double(queryVectors.count) / total,
                    percentile(latencies, 0.50), percentile(latencies, 0.99), buildSeconds, memory))
            }
        }
    }
}

extension Metric: ExpressibleByArgument {}

private func log(_ message: String) {
    FileHandle.standardError.write(Data("[engram-ann] \(message)\n".utf8))
}

private func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Nearest-rank percentile of sorted nanosecond latencies, in microseconds.
private func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
    return Double(sorted[rank]) / 1000
}

/// The process's anonymous resident memory in MiB: what the heap holds, without the pages of
/// mapped files, which come and go with the page cache. Read from `smaps_rollup`, which walks
/// the page tables; the counters in `/proc/self/status` can lag by tens of MiB.
private func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("Anonymous:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kilobytes / 1024
    }
    return 0
}

/// glibc's `malloc_trim` (in <malloc.h>, which the Glibc module does not export): returns freed
/// heap pages to the system so that resident-memory deltas measure live allocations only.
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
