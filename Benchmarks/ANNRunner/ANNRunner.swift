import ArgumentParser
import Foundation
import HNSW
import VectorMath

/// Builds an Engram HNSW index from TEXMEX files and sweeps `ef`, printing one CSV row per value.
/// The first ten columns are those of Benchmarks/peers/ann_peers.py (so the two outputs form one
/// table, and scripts written for the old header keep working); recall@1, recall@100 and p99.9
/// follow.
struct ANNRunner: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engram-ann",
        abstract: "Recall, single-query throughput and latency of Engram's HNSW on a TEXMEX dataset.")

    static let header = "engine,M,efC,ef,recall10,qps_single,p50_us,p99_us,build_s,mem_mb,recall1,recall100,p999_us"

    @Option(help: "Base vectors (.fvecs).") var base: String
    @Option(help: "Query vectors (.fvecs).") var queries: String
    @Option(help: "Ground truth (.ivecs): per query the ids of its nearest base vectors, best first.") var truth: String
    @Option(name: .customLong("M"), help: "Links per node (M).") var m: Int = 16
    @Option(name: .customLong("efc"), help: "efConstruction.") var efConstruction: Int = 200
    @Option(help: "Comma-separated ef values to sweep.") var ef: String = "10,16,32,64,128,256"
    @Option(help: "cosine (inner product on normalised vectors) or l2.") var metric: Metric = .cosine
    @Option(help: "Results per timed query (at least 10: recall@10 is reported).") var k: Int = 10
    @Option(help: "What traversal scores: int8 (codes, re-ranked on floats; the default of new namespaces) or none (floats).")
    var quant: VectorQuantization = HNSWParameters().quantization
    @Option(help: "Candidates re-scored on floats under --quant int8 (default: all ef of them).") var rerank: Int?
    @Flag(help: "After the build, renumber the nodes in breadth-first order of layer 0 (a graph-locality experiment).")
    var reorder = false
    @Flag(help: "Omit the CSV header.") var noHeader = false
    @Flag(help: """
        Call glibc's mtrace() around the first ef's timed queries (allocation counting: run with \
        LD_PRELOAD=libc_malloc_debug.so.0 and MALLOC_TRACE=FILE; every malloc in the loop is a line of FILE).
        """)
    var mtrace = false

    func validate() throws {
        guard k >= 10 else { throw ValidationError("--k must be at least 10 (recall@10 is reported)") }
        guard m >= 2, efConstruction >= 1 else { throw ValidationError("--M must be ≥ 2 and --efc ≥ 1") }
        if let rerank, rerank < 1 { throw ValidationError("--rerank must be at least 1") }
        _ = try efValues()
    }

    func efValues() throws -> [Int] {
        try ef.split(separator: ",").map { part -> Int in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw ValidationError("--ef: '\(part)' is not a positive integer")
            }
            return value
        }
    }

    func run() throws {
        let backend = BLASBackend.current
        _ = BLASBackend.useSingleThread()
        log("BLAS: \(backend)")
        if let warning = backend.warning { log(warning) }

        let efValues = try efValues()
        let baseVectors = try VectorFile.readFloats(base)
        let queryVectors = try VectorFile.readFloats(queries)
        let truthIds = try VectorFile.readInts(truth)
        guard baseVectors.count > 0, queryVectors.count > 0 else {
            throw ValidationError("\(base) or \(queries) holds no vectors")
        }
        guard baseVectors.dimension == queryVectors.dimension else {
            throw ValidationError("base has dimension \(baseVectors.dimension), queries \(queryVectors.dimension)")
        }
        guard truthIds.count >= queryVectors.count, truthIds.dimension >= 10 else {
            throw ValidationError("ground truth has \(truthIds.count) rows of \(truthIds.dimension) ids; need \(queryVectors.count) rows of at least 10")
        }
        guard truthIds.values.allSatisfy({ $0 >= 0 && Int($0) < baseVectors.count }) else {
            throw ValidationError("ground truth holds ids outside 0..<\(baseVectors.count): wrong truth file for this base?")
        }
        log("base \(baseVectors.count)×\(baseVectors.dimension), \(queryVectors.count) queries, truth width \(truthIds.dimension)")

        _ = malloc_trim(0)  // return freed input buffers, so the baseline counts only live memory
        let residentBefore = residentMegabytes()
        let buildStart = monotonicNanos()
        let index = try HNSWIndex(
            dimension: baseVectors.dimension, metric: metric,
            parameters: HNSWParameters(m: m, efConstruction: efConstruction, quantization: quant))
        try baseVectors.values.withUnsafeBufferPointer { all in
            let d = baseVectors.dimension
            for row in 0..<baseVectors.count {
                try index.insert(UnsafeBufferPointer(rebasing: all[row * d ..< (row + 1) * d]), key: UInt64(row))
                if row % 5000 == 4999 { log("inserted \(row + 1)") }
            }
        }
        let buildSeconds = Double(monotonicNanos() - buildStart) / 1e9
        _ = malloc_trim(0)
        // The base vectors stay alive until after the measurement: Swift could otherwise free
        // them after their last use, and the delta would hide the index behind their release.
        let memory = withExtendedLifetime(baseVectors) { residentMegabytes() - residentBefore }
        log(String(format: "built in %.2f s, %.1f MiB resident, %.1f MiB allocated for the graph",
                   buildSeconds, memory, Double(index.statistics.allocatedBytes) / 1_048_576))
        if reorder {
            let start = monotonicNanos()
            index.reorderBreadthFirst()
            log(String(format: "renumbered breadth-first in %.2f s", Double(monotonicNanos() - start) / 1e9))
            let problems = index.verifyStructure()
            guard problems.isEmpty else { throw ValidationError("the renumbered graph is inconsistent: \(problems.prefix(3))") }
        }
        if quant != .none { log("quantization \(quant.rawValue), kernel \(HNSWIndex.quantizedKernelName), traversal on codes: \(index.traversesCodes)") }

        if !noHeader { print(Self.header) }
        let sweep = Sweep(index: index, queries: queryVectors, truth: truthIds, k: k, rerank: rerank)
        // The engine column names the traversal, so one table can hold both modes.
        let engine = (quant == .none ? "engram" : "engram-\(quant.rawValue)") + (reorder ? "-bfs" : "")
        for (position, efValue) in efValues.enumerated() {
            let timed = try sweep.timedPass(ef: efValue, traceAllocations: mtrace && position == 0)
            let recall100 = truthIds.dimension >= 100 ? try sweep.recallAt100(ef: efValue) : nil
            let latencies = timed.latencies.sorted()
            print(String(
                format: "%@,%d,%d,%d,%.4f,%.1f,%.1f,%.1f,%.2f,%.1f,%.4f,%@,%.1f",
                engine, m, efConstruction, efValue, timed.recall10, Double(queryVectors.count) / timed.seconds,
                Measurement.percentile(latencies, 0.50), Measurement.percentile(latencies, 0.99), buildSeconds, memory,
                timed.recall1, recall100.map { String(format: "%.4f", $0) } ?? "", Measurement.percentile(latencies, 0.999)))
        }
    }
}

extension Metric: ExpressibleByArgument {}
extension VectorQuantization: ExpressibleByArgument {}

func log(_ message: String) {
    FileHandle.standardError.write(Data("[engram-ann] \(message)\n".utf8))
}
