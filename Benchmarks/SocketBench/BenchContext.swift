import Foundation
import MemoryClient
import MemoryEngine

/// What every phase needs: the dataset, the running daemon and the search settings.
struct BenchContext: Sendable {
    let dataset: Dataset
    let namespace: String
    let k: Int
    let ef: Int
    let samples: Int
    let warmUp: Int
    /// Short temporary directory for sockets (sun_path holds 107 bytes).
    let directory: String
    let queryVectors: [[Float]]

    init(dataset: Dataset, namespace: String, k: Int, ef: Int, samples: Int, warmUp: Int, directory: String) {
        self.dataset = dataset
        self.namespace = namespace
        self.k = k
        self.ef = ef
        self.samples = samples
        self.warmUp = warmUp
        self.directory = directory
        queryVectors = (0..<dataset.queries.count).map(dataset.queryVector)
    }

    func query(_ i: Int) -> [Float] { queryVectors[i % queryVectors.count] }
    func searchRequest(_ i: Int) -> SearchRequest { SearchRequest(vector: query(i), k: k, ef: ef) }
}

/// Progress on stderr (the table and the JSON are the results).
func progress(_ message: String) {
    FileHandle.standardError.write(Data("[socket-bench] \(message)\n".utf8))
}
