import Foundation
import MemoryClient
import MemoryEngine
import VectorMath

/// Searches while one writer adds, edits and deletes (in turn) at a set rate, all over the
/// socket; then recall@10 of the churned index against exact ground truth recomputed for the
/// final live set.
enum MixedPhase {
    struct Settings {
        var seconds: Double
        var writeRate: Double
        var readers: Int
        var seed: UInt64
    }

    static func run(_ context: BenchContext, daemon: InProcessDaemon, live initial: LiveSet,
                    settings: Settings) async throws -> (BenchResults.Mixed, LiveSet) {
        let deadline = monotonicNanos() + UInt64(settings.seconds * 1e9)
        async let writerResult = write(context, socketPath: daemon.socketPath, live: initial, settings: settings,
                                       deadline: deadline)
        let reads = try await withThrowingTaskGroup(of: LatencyHistogram.self) { group in
            for reader in 0..<settings.readers {
                group.addTask {
                    let client = MemoryClient(socketPath: daemon.socketPath, maxIdleConnections: 1)
                    var histogram = LatencyHistogram()
                    var i = reader * 104_729
                    while monotonicNanos() < deadline {
                        let request = context.searchRequest(i)
                        let t0 = monotonicNanos()
                        _ = try await client.search(in: context.namespace, request)
                        histogram.record(nanoseconds: monotonicNanos() - t0)
                        i += 1
                    }
                    return histogram
                }
            }
            var all = LatencyHistogram()
            for try await histogram in group { all.add(histogram) }
            return all
        }
        let writer = try await writerResult
        progress("mixed: \(reads.count) searches, \(writer.histogram.count) writes (\(writer.errors) refused), "
                 + "\(writer.live.vectors.count) live entries; computing exact ground truth")

        let truth = Recall.exactTruth(queries: context.dataset.queries, live: writer.live.vectors, k: 10, metric: .cosine)
        let inProcessIds = try (0..<context.queryVectors.count).map { q in
            try daemon.engine.search(namespace: context.namespace, context.searchRequest(q)).map(\.entry.id)
        }
        let client = MemoryClient(socketPath: daemon.socketPath, maxIdleConnections: 1)
        var socketIds: [[UInt64]] = []
        for q in 0..<context.queryVectors.count {
            socketIds.append(try await client.search(in: context.namespace, context.searchRequest(q)).map(\.entry.id))
        }
        let result = BenchResults.Mixed(
            seconds: writer.seconds, readers: settings.readers, write_rate_target: settings.writeRate,
            write_rate_achieved: Double(writer.histogram.count) / writer.seconds,
            adds: writer.adds, edits: writer.edits, deletes: writer.deletes, write_errors: writer.errors,
            writes: writer.histogram.summary(seconds: writer.seconds), reads: reads.summary(seconds: writer.seconds),
            live_entries: writer.live.vectors.count,
            recall10_after: Recall.at(10, results: inProcessIds, truth: truth),
            recall10_after_socket: Recall.at(10, results: socketIds, truth: truth))
        return (result, writer.live)
    }

    struct WriterResult: Sendable {
        var histogram = LatencyHistogram()
        var adds = 0, edits = 0, deletes = 0, errors = 0
        var seconds = 0.0
        var live: LiveSet
    }

    /// The writer: operation n is due at start + n / rate (it catches up without sleeping
    /// when behind, so the achieved rate shows saturation). Adds and edits take a random base
    /// row's vector plus small noise (normalised), so the new vectors sit in the data's region.
    private static func write(_ context: BenchContext, socketPath: String, live: LiveSet, settings: Settings,
                              deadline: UInt64) async throws -> WriterResult {
        var result = WriterResult(live: live)
        var ids = Array(live.vectors.keys)
        var rng = SplitMix64(seed: settings.seed)
        let client = MemoryClient(socketPath: socketPath, actor: "bench-writer", maxIdleConnections: 1)
        let dataset = context.dataset
        func perturbed(_ row: Int) -> [Float] {
            Kernels.normalized(dataset.baseVector(row).map { $0 + Float(rng.unit() - 0.5) * 0.06 })
        }
        let start = monotonicNanos()
        let interval = settings.writeRate > 0 ? 1e9 / settings.writeRate : .infinity
        var n = 0
        while settings.writeRate > 0 {
            let due = start + UInt64(Double(n) * interval)
            if due >= deadline { break }
            let now = monotonicNanos()
            if due > now { try await Task.sleep(nanoseconds: due - now) }
            if monotonicNanos() >= deadline { break }
            let row = Int(rng.next() % UInt64(dataset.base.count))
            let t0 = monotonicNanos()
            do {
                switch n % 3 {
                case 0:
                    let vector = perturbed(row)
                    let outcome = try await client.remember(
                        RememberRequest(text: "churn add: " + dataset.baseText(row), vector: vector, source: "bench"),
                        in: context.namespace)
                    result.live.vectors[outcome.entry.id] = vector
                    ids.append(outcome.entry.id)
                    result.adds += 1
                case 1:
                    let id = ids[Int(rng.next() % UInt64(ids.count))]
                    let vector = perturbed(row)
                    _ = try await client.edit(id, in: context.namespace,
                                              EditRequest(text: "churn edit: " + dataset.baseText(row), vector: vector))
                    result.live.vectors[id] = vector
                    result.edits += 1
                default:
                    let slot = Int(rng.next() % UInt64(ids.count))
                    let id = ids[slot]
                    _ = try await client.forget(id, in: context.namespace)
                    result.live.vectors[id] = nil
                    ids.swapAt(slot, ids.count - 1)
                    ids.removeLast()
                    result.deletes += 1
                }
                result.histogram.record(nanoseconds: monotonicNanos() - t0)
            } catch {
                result.errors += 1
                if result.errors <= 3 { progress("mixed: write refused: \(error)") }
            }
            n += 1
        }
        result.seconds = Double(monotonicNanos() - start) / 1e9
        return result
    }
}

/// A small deterministic generator (SplitMix64), so a run's churn is reproducible by seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
