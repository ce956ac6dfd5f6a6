import Foundation
import MemoryClient
import MemoryEngine
import MemoryStore
import Synchronization

/// Online rebuild cost: `MemoryEngine.rebuildIndex` (what the admin API's rebuild job runs) of
/// the bench namespace with its own parameters, on a thread of its own, while one client keeps
/// searching over the socket. Reports the rebuild's wall time and when each phase began, the
/// searches' latency meanwhile, and recall@10 of the new graph against exact ground truth of
/// the live set.
enum RebuildPhase {
    /// Set once by the rebuilding thread, read by the searching task. Atomic: no lock needed.
    final class Progress: Sendable {
        let finished = Atomic<Bool>(false)
        /// Phase name → monotonic time it was first reported.
        let phases = Mutex<[String: UInt64]>([:])
    }

    static func run(_ context: BenchContext, daemon: InProcessDaemon, live: LiveSet) async throws -> BenchResults.Rebuild {
        let engine = daemon.engine
        let namespace = context.namespace
        let progressState = Progress()
        let socketPath = daemon.socketPath
        async let reads = searchUntilFinished(context, socketPath: socketPath, progress: progressState)
        let start = monotonicNanos()
        let outcome: Result<IndexRebuildResult, EngineError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                let result = Result { () throws(EngineError) -> IndexRebuildResult in
                    try engine.rebuildIndex(namespace: namespace, progress: { update in
                        progressState.phases.withLock { seen in
                            if seen[update.phase.rawValue] == nil { seen[update.phase.rawValue] = monotonicNanos() }
                        }
                    })
                }
                progressState.finished.store(true, ordering: .releasing)
                continuation.resume(returning: result)
            }
            thread.start()
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let histogram = try await reads
        let rebuilt = try outcome.get()
        let phaseStarts = progressState.phases.withLock { $0 }.mapValues { Double($0 - start) / 1e9 }

        let truth = Recall.exactTruth(queries: context.dataset.queries, live: live.vectors, k: 10, metric: .cosine)
        let found = try (0..<context.queryVectors.count).map { q in
            try engine.search(namespace: namespace, context.searchRequest(q)).map(\.entry.id)
        }
        progress("rebuild: \(rebuilt.nodes) nodes in \(fmt(seconds, 2)) s, \(histogram.count) searches meanwhile")
        return BenchResults.Rebuild(
            measured: true, note: "online, MemoryEngine.rebuildIndex with the namespace's parameters, one socket reader meanwhile",
            seconds: seconds, nodes: rebuilt.nodes, caught_up: rebuilt.caughtUp, phase_start_s: phaseStarts,
            reads_during: histogram.summary(seconds: seconds),
            recall10_after: Recall.at(10, results: found, truth: truth))
    }

    /// Back-to-back socket searches until the rebuild finishes (at least one).
    private static func searchUntilFinished(_ context: BenchContext, socketPath: String,
                                            progress: Progress) async throws -> LatencyHistogram {
        let client = MemoryClient(socketPath: socketPath, maxIdleConnections: 1)
        var histogram = LatencyHistogram()
        var i = 0
        repeat {
            let request = context.searchRequest(i)
            let t0 = monotonicNanos()
            _ = try await client.search(in: context.namespace, request)
            histogram.record(nanoseconds: monotonicNanos() - t0)
            i += 1
        } while !progress.finished.load(ordering: .acquiring)
        return histogram
    }
}
