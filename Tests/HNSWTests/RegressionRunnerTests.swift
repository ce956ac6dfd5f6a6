import EngramTestSupport
import Foundation
import Testing

/// Regression guards for the benchmark runners (issue 8, item 3): the ANN runner's recall
/// columns are computed right, its CSV keeps the old columns first, bad input is refused, and
/// the search loop it times does not allocate. No timing is asserted anywhere.
@Suite("Benchmark runner regression guards")
struct RegressionRunnerTests {
    /// Unit vectors in `dimension` dimensions from a seeded generator.
    static func unitVectors(count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var random = TestRandom(seed: seed)
        return (0..<count).map { _ in
            let v = (0..<dimension).map { _ in random.gaussian() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    /// Every base row's index, closest to `query` (largest inner product) first; brute force,
    /// written here independently of VectorMath's ExactSearch and of the runner.
    static func ranking(of query: [Float], in base: [[Float]]) -> [Int32] {
        let scores = base.map { row in zip(row, query).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        return scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.map { Int32($0) }
    }

    /// The runner's recall@1/10/100 against a truth file whose every other row is deliberately
    /// wrong (it lists the 100 *farthest* rows, disjoint from the 100 nearest of 300). 300 rows
    /// are below HNSW's flat threshold (1,024), where the index answers exactly, so the right
    /// rows score 1 and the wrong rows 0: every recall column must read exactly 0.5000. A runner
    /// that compared the wrong prefix, divided by the wrong count or mixed up rows fails.
    @Test("engram-ann computes recall@1, @10 and @100 exactly, and names the traversal in the engine column",
          arguments: [(nil, "engram-int8"), ("none", "engram"), ("int8", "engram-int8")])
    func recallColumns(quantization: String?, engine: String) throws {
        let runner = try ProductBinary.path("engram-ann")
        let directory = try makeRegressionDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = Self.unitVectors(count: 300, dimension: 24, seed: 7)
        let queries = Self.unitVectors(count: 40, dimension: 24, seed: 8)
        let truth = queries.enumerated().map { q, query -> [Int32] in
            let order = Self.ranking(of: query, in: base)
            return q % 2 == 0 ? Array(order.prefix(100)) : Array(order.suffix(100).reversed())
        }
        try Texmex.write(floats: base, to: directory + "/base.fvecs")
        try Texmex.write(floats: queries, to: directory + "/queries.fvecs")
        try Texmex.write(ints: truth, to: directory + "/gt.ivecs")

        let output = try ProductBinary.run(runner, [
            "--base", directory + "/base.fvecs", "--queries", directory + "/queries.fvecs",
            "--truth", directory + "/gt.ivecs", "--ef", "10,50", "--efc", "40",
        ] + (quantization.map { ["--quant", $0] } ?? []))
        #expect(output.status == 0, "engram-ann failed: \(output.stderr)")
        let (header, rows) = parseCSV(output.stdout)
        // The original ten columns stay first, in order, so older scripts keep working.
        #expect(Array(header.prefix(10)) == ["engine", "M", "efC", "ef", "recall10", "qps_single", "p50_us", "p99_us",
                                             "build_s", "mem_mb"])
        #expect(header.contains("recall1") && header.contains("recall100") && header.contains("p999_us"))
        #expect(rows.map { $0["ef"] } == ["10", "50"])
        for row in rows {
            #expect(row["engine"] == engine)
            #expect(row["recall1"] == "0.5000", "recall@1 in \(row)")
            #expect(row["recall10"] == "0.5000", "recall@10 in \(row)")
            #expect(row["recall100"] == "0.5000", "recall@100 in \(row)")
            let p50 = Double(row["p50_us"] ?? "") ?? -1
            let p99 = Double(row["p99_us"] ?? "") ?? -1
            let p999 = Double(row["p999_us"] ?? "") ?? -1
            #expect(p50 > 0 && p50 <= p99 && p99 <= p999, "percentiles must be positive and ordered: \(row)")
        }
    }

    /// A truth file naming rows that do not exist is refused with a message, not a crash or a
    /// silently wrong recall.
    @Test("engram-ann refuses ground truth that does not fit the base")
    func refusesForeignTruth() throws {
        let runner = try ProductBinary.path("engram-ann")
        let directory = try makeRegressionDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = Self.unitVectors(count: 50, dimension: 8, seed: 1)
        try Texmex.write(floats: base, to: directory + "/base.fvecs")
        try Texmex.write(floats: Array(base.prefix(5)), to: directory + "/queries.fvecs")
        try Texmex.write(ints: (0..<5).map { q in (0..<10).map { Int32(q * 1000 + $0) } }, to: directory + "/gt.ivecs")
        let output = try ProductBinary.run(runner, [
            "--base", directory + "/base.fvecs", "--queries", directory + "/queries.fvecs", "--truth", directory + "/gt.ivecs",
        ])
        #expect(output.status != 0)
        #expect(output.stderr.contains("outside 0..<50"), "stderr: \(output.stderr)")
        #expect(output.stdout.isEmpty)
    }

    static let mallocDebug = "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0"

    /// Allocations in engram-ann's timed loop of 1,000 searches of a 2,000-vector graph (above
    /// the flat threshold, so the real HNSW traversal runs), counted with glibc's `mtrace`.
    ///
    /// Method: glibc 2.34 removed the malloc hooks, and an interposed `malloc` in this test
    /// binary would collide with the sanitizer runtimes (`make test-tsan` links this target),
    /// so the count is taken in a child process: engram-ann `--mtrace` calls `mtrace()` just
    /// before its first ef's timed loop and `muntrace()` right after it, and runs with
    /// `libc_malloc_debug.so` preloaded and `MALLOC_TRACE` naming a file. Every `malloc`,
    /// `calloc`, `realloc` and `memalign` in between, from any thread, is one `+` (or `>`) line.
    /// The loop searches into a reused result array and copies keys into a preallocated buffer.
    static func allocationsInSearchLoop(runner: String) throws -> Int {
        let directory = try makeRegressionDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = unitVectors(count: 2000, dimension: 32, seed: 11)
        let queries = unitVectors(count: 1000, dimension: 32, seed: 12)
        try Texmex.write(floats: base, to: directory + "/base.fvecs")
        try Texmex.write(floats: queries, to: directory + "/queries.fvecs")
        // Recall is not what this checks; any in-range ids make a valid truth file.
        try Texmex.write(ints: queries.indices.map { q in (0..<10).map { Int32((q + $0) % base.count) } },
                         to: directory + "/gt.ivecs")
        let trace = directory + "/malloc.trace"
        let output = try ProductBinary.run(runner, [
            "--base", directory + "/base.fvecs", "--queries", directory + "/queries.fvecs", "--truth", directory + "/gt.ivecs",
            "--ef", "64", "--efc", "64", "--mtrace",
        ], environment: ["LD_PRELOAD": mallocDebug, "MALLOC_TRACE": trace])
        try #require(output.status == 0, "engram-ann failed: \(output.stderr)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        // The markers prove tracing was on around the loop (0 from a dead trace would mean nothing).
        try #require(lines.first == "= Start" && lines.last == "= End", "trace of \(lines.count) lines lacks its markers")
        return lines.filter { $0.contains(" + ") || $0.contains(" > ") }.count
    }

    /// The build this test runs in (debug, `-Onone`: unspecialised generics and runtime
    /// metadata calls allocate ~30 small blocks per search here) stays under a bound that an
    /// allocation per visited node or per distance (hundreds to thousands per search at ef=64)
    /// would break at once.
    @Test("HNSW searches in the runner's timed loop: at most 64 allocations each in this build",
          .enabled(if: FileManager.default.fileExists(atPath: mallocDebug), "needs glibc's libc_malloc_debug.so.0"))
    func searchLoopAllocationsBounded() throws {
        let count = try Self.allocationsInSearchLoop(runner: try ProductBinary.path("engram-ann"))
        #expect(count <= 64 * 1000, "\(count) allocations in 1,000 searches")
    }

    /// The optimised runner, when a release build sits beside this one (`make bench`, `make run`,
    /// `scripts/bench-report.sh` make it): exactly zero allocations in 1,000 searches, the
    /// index's "no allocation per search in steady state" claim.
    @Test("release engram-ann: 1,000 HNSW searches allocate nothing",
          .enabled(if: FileManager.default.fileExists(atPath: mallocDebug), "needs glibc's libc_malloc_debug.so.0"),
          .enabled(if: releaseRunnerIsCurrent, "no release build of engram-ann with --mtrace beside this build"))
    func releaseSearchLoopDoesNotAllocate() throws {
        let count = try Self.allocationsInSearchLoop(runner: Self.releaseRunner)
        #expect(count == 0, "\(count) allocations in 1,000 searches")
    }

    /// Whether a release runner exists and is recent enough to have `--mtrace` (an older release
    /// build left beside this one would fail on the flag, which says nothing about allocations).
    static let releaseRunnerIsCurrent: Bool = {
        guard FileManager.default.isExecutableFile(atPath: releaseRunner),
              let help = try? ProductBinary.run(releaseRunner, ["--help"], environment: [:]) else { return false }
        return help.status == 0 && (help.stdout + help.stderr).contains("--mtrace")
    }()

    /// `<scratch>/release/engram-ann` for a test binary in `<scratch>/<triple>/debug/`.
    static var releaseRunner: String {
        ProductBinary.productsDirectory.deletingLastPathComponent().appendingPathComponent("release/engram-ann").path
    }
}
