import Foundation
import MemoryClient
import MemoryEngine
import Synchronization

/// Searches from 1, 2, 4, 8… concurrent clients, each with its own MemoryClient and keep-alive
/// connection, all searching back to back; the floor at the same concurrency beside each.
enum ConcurrencyPhase {
    static func run(_ context: BenchContext, daemon: InProcessDaemon, levels: [Int],
                    payload: BenchResults.Payload) async throws -> [BenchResults.ConcurrencyLevel] {
        let floorServer = try FloorServer(directory: context.directory, requestBytes: payload.request_bytes,
                                          responseBytes: payload.response_bytes)
        defer { floorServer.stop() }
        var results: [BenchResults.ConcurrencyLevel] = []
        for clients in levels {
            // Each client does its share of `samples` (at least 200), so every level takes
            // about as many samples and as long as the others.
            let perClient = max(200, context.samples / clients)
            let endToEnd = try await searchConcurrently(context, socketPath: daemon.socketPath, clients: clients,
                                                        perClient: perClient)
            let (floor, floorSeconds) = try floorServer.run(clients: clients, perClient: perClient * 4,
                                                            warmUp: context.warmUp / 4)
            let level = BenchResults.ConcurrencyLevel(clients: clients, end_to_end: endToEnd,
                                                      floor: floor.summary(seconds: floorSeconds))
            progress("\(clients) clients: p50 \(fmt(level.end_to_end.p50_us)) µs, p99 \(fmt(level.end_to_end.p99_us)) µs, "
                     + "\(fmt(level.end_to_end.throughput_per_s ?? 0, 0))/s; floor p50 \(fmt(level.floor.p50_us)) µs")
            results.append(level)
        }
        return results
    }

    private static func searchConcurrently(_ context: BenchContext, socketPath: String, clients: Int,
                                           perClient: Int) async throws -> LatencySummary {
        let connections = (0..<clients).map { _ in MemoryClient(socketPath: socketPath, maxIdleConnections: 1) }
        // Warm each connection up first (opens it), so the timed part starts with all open.
        for (n, client) in connections.enumerated() {
            for i in 0..<max(20, context.warmUp / clients) {
                _ = try await client.search(in: context.namespace, context.searchRequest(n * 7919 + i))
            }
        }
        let start = monotonicNanos()
        let merged = try await withThrowingTaskGroup(of: LatencyHistogram.self) { group in
            for (n, client) in connections.enumerated() {
                group.addTask {
                    var histogram = LatencyHistogram()
                    for i in 0..<perClient {
                        let request = context.searchRequest(n * 7919 + i)
                        let t0 = monotonicNanos()
                        _ = try await client.search(in: context.namespace, request)
                        histogram.record(nanoseconds: monotonicNanos() - t0)
                    }
                    return histogram
                }
            }
            var all = LatencyHistogram()
            for try await histogram in group { all.add(histogram) }
            return all
        }
        return merged.summary(seconds: Double(monotonicNanos() - start) / 1e9)
    }
}
