import Foundation
import MemoryEngine

/// Which entry id holds which base row, and the vectors of the live set (the churn phase
/// changes it; recall after churn is computed against this).
struct LiveSet: Sendable {
    /// Entry id → its current vector.
    var vectors: [UInt64: [Float]] = [:]
    /// Base row → entry id of the initial load (ground-truth rows map through it).
    var idOfRow: [UInt64] = []
}

enum Loader {
    /// Inserts every base row (vector + text) into `namespace` through the engine in batches
    /// of `batchSize` (one LMDB transaction each), bypassing the socket for speed.
    /// - Returns: the live set and the wall time in seconds.
    static func load(_ dataset: Dataset, into engine: MemoryEngine, namespace: String, batchSize: Int,
                     progress: (Int) -> Void) throws -> (LiveSet, Double) {
        var live = LiveSet()
        live.idOfRow.reserveCapacity(dataset.base.count)
        let start = monotonicNanos()
        var row = 0
        while row < dataset.base.count {
            let end = min(dataset.base.count, row + batchSize)
            let requests = (row..<end).map { r in
                RememberRequest(text: dataset.baseText(r), vector: dataset.baseVector(r), source: "import")
            }
            let outcomes = try engine.rememberBatch(requests, namespace: namespace, actor: "bench")
            for (offset, outcome) in outcomes.enumerated() {
                live.idOfRow.append(outcome.entry.id)
                live.vectors[outcome.entry.id] = requests[offset].vector
            }
            row = end
            progress(row)
        }
        return (live, Double(monotonicNanos() - start) / 1e9)
    }
}
