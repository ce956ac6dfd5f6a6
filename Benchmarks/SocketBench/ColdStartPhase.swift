import Embeddings
import Foundation
import Logging
import MemoryClient
import MemoryEngine
import MemoryStore

/// Cold start: with the daemon stopped and its store closed, time opening the store (which
/// loads every namespace's graph), the engine's warm-up (filter facts), the first in-process
/// answer, then the socket coming up and the first answer through it. The page cache stays
/// warm (dropping it needs root and disturbs other work); the figure is a process restart's.
enum ColdStartPhase {
    static func run(_ context: BenchContext, storePath: String, socketPath: String, embedder: any Embedder,
                    logger: Logger) async throws -> (BenchResults.ColdStart, InProcessDaemon) {
        let t0 = monotonicNanos()
        let store = try MemoryStore(path: storePath, options: MemoryStoreOptions(durability: .sync))
        let t1 = monotonicNanos()
        let engine = try MemoryEngine(store: store, embedder: embedder, logger: logger)
        try engine.warmUp()
        let t2 = monotonicNanos()
        _ = try engine.search(namespace: context.namespace, context.searchRequest(0))
        let t3 = monotonicNanos()
        let daemon = try await InProcessDaemon(engine: engine, socketPath: socketPath, logger: logger)
        let t4 = monotonicNanos()
        let client = MemoryClient(socketPath: socketPath, maxIdleConnections: 1)
        _ = try await client.search(in: context.namespace, context.searchRequest(1))
        let t5 = monotonicNanos()
        let ms = { (a: UInt64, b: UInt64) in Double(b - a) / 1e6 }
        let result = BenchResults.ColdStart(
            open_store_ms: ms(t0, t1), warm_up_ms: ms(t1, t2), first_query_ms: ms(t2, t3),
            open_to_first_answer_ms: ms(t0, t3), server_ready_ms: ms(t3, t4), first_socket_answer_ms: ms(t0, t5),
            store_bytes: directoryBytes(storePath))
        return (result, daemon)
    }

    /// Disk space (allocated blocks, not apparent size: LMDB's map is sparse) of the files
    /// directly in `path`.
    static func directoryBytes(_ path: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.reduce(0) { total, name in
            var info = stat()
            guard stat(path + "/" + name, &info) == 0 else { return total }
            return total + Int(info.st_blocks) * 512
        }
    }
}
