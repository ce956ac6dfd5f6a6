import Embeddings
import Foundation
import Synchronization

/// Texts for the benchmark and the statistics it reports.
enum Workload {
    /// Texts from a file: JSON lines with a `text` field (the datasets' format), or plain lines.
    static func readTexts(_ path: String) throws -> [String] {
        let content = try String(contentsOfFile: path, encoding: .utf8)
        var texts: [String] = []
        for line in content.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("{") {
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let text = object["text"] as? String else {
                    throw BenchError("a line of \(path) has no \"text\" string")
                }
                texts.append(text)
            } else {
                texts.append(String(line))
            }
        }
        return texts
    }

    /// Writes texts as JSON lines (so the PyTorch side reads exactly the same strings).
    static func writeTexts(_ texts: [String], to path: String) throws {
        var output = ""
        for text in texts {
            let data = try JSONSerialization.data(withJSONObject: ["text": text])
            output += String(decoding: data, as: UTF8.self) + "\n"
        }
        try output.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `texts` dealt into `count` chunks of similar length mix as the daemon's batch threads
    /// deal them (`ParallelEmbedding.chunks(of:count:)`), each chunk then put back in corpus
    /// order, so that its calls of --batch-size mix lengths as the one-thread scenario's do.
    /// Empty chunks (fewer texts than `count`) are left out.
    static func interleavedChunks(_ texts: [String], count: Int) -> [[String]] {
        ParallelEmbedding.chunks(of: texts, count: max(1, count))
            .filter { !$0.isEmpty }.map { $0.sorted().map { texts[$0] } }
    }

    static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: { $0.isWhitespace }).count
    }

    /// Resident set size of this process in bytes, from /proc/self/statm (0 when unknown).
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Latency and throughput of one scenario. Field names match `pytorch_bench.py`'s JSON.
struct ScenarioResult: Codable {
    var calls: Int
    var texts: Int
    var seconds: Double
    var texts_per_second: Double
    var p50_ms: Double
    var p99_ms: Double
    var mean_ms: Double

    /// Times each call; percentiles are nearest-rank (as in `pytorch_bench.py`).
    static func measure(texts: Int, calls: [() throws -> Void]) throws -> ScenarioResult {
        var latencies: [Double] = []
        latencies.reserveCapacity(calls.count)
        let clock = ContinuousClock()
        let start = clock.now
        for call in calls {
            let t0 = clock.now
            try call()
            latencies.append((clock.now - t0).seconds)
        }
        let total = (clock.now - start).seconds
        return summary(texts: texts, seconds: total, latencies: latencies)
    }

    /// Each chunk on a thread of its own, in consecutive calls of `callSize` texts (the groups
    /// are cut before the clock starts). `seconds` is the wall-clock time from starting the
    /// first thread to the last one finishing, so texts/s is the throughput of all threads
    /// together; the latencies are those of every call on every thread.
    /// - Throws: the first error a call threw (the other threads run to their end).
    static func measureThreaded(chunks: [[String]], callSize: Int,
                                embed: @escaping @Sendable ([String]) throws -> Void) throws -> ScenarioResult {
        let outcome = ThreadedOutcome()
        let finished = DispatchGroup()
        let size = max(1, callSize)
        let threads = chunks.map { chunk in
            let groups = stride(from: 0, to: chunk.count, by: size).map { Array(chunk[$0..<min($0 + size, chunk.count)]) }
            let thread = Thread {
                let clock = ContinuousClock()
                var latencies: [Double] = []
                latencies.reserveCapacity(groups.count)
                do {
                    for group in groups {
                        let t0 = clock.now
                        try embed(group)
                        latencies.append((clock.now - t0).seconds)
                    }
                } catch {
                    outcome.state.withLock { if $0.error == nil { $0.error = error } }
                }
                outcome.state.withLock { $0.latencies += latencies }
                finished.leave()
            }
            thread.name = "embed-bench-batch"
            return thread
        }
        for _ in threads { finished.enter() }
        let clock = ContinuousClock()
        let start = clock.now
        for thread in threads { thread.start() }
        finished.wait()
        let total = (clock.now - start).seconds
        let collected = outcome.state.withLock { $0 }
        if let error = collected.error { throw error }
        return summary(texts: chunks.reduce(0) { $0 + $1.count }, seconds: total, latencies: collected.latencies)
    }

    /// Throughput over `seconds` and nearest-rank percentiles of `latencies` (seconds).
    private static func summary(texts: Int, seconds total: Double, latencies unsorted: [Double]) -> ScenarioResult {
        let latencies = unsorted.sorted()
        func percentile(_ fraction: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            let rank = max(1, min(latencies.count, Int((fraction * Double(latencies.count)).rounded(.up))))
            return latencies[rank - 1]
        }
        return ScenarioResult(calls: latencies.count, texts: texts, seconds: total,
                              texts_per_second: total > 0 ? Double(texts) / total : .nan,
                              p50_ms: percentile(0.5) * 1000, p99_ms: percentile(0.99) * 1000,
                              mean_ms: latencies.isEmpty ? .nan : latencies.reduce(0, +) / Double(latencies.count) * 1000)
    }
}

/// What the threads of ``ScenarioResult/measureThreaded(chunks:callSize:embed:)`` collect (a
/// class: a `Mutex` cannot be captured by the threads' escaping closures).
private final class ThreadedOutcome: Sendable {
    struct State {
        var latencies: [Double] = []
        var error: (any Error)?
    }

    let state = Mutex(State())
}

/// What `pytorch_bench.py --json` prints.
struct PyTorchReport: Decodable {
    var implementation: String
    var versions: [String: String]
    var threads: Int
    var single: ScenarioResult
    var batch: ScenarioResult
    var bulk: ScenarioResult
    var embeddings: [[Float]]
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
