import Foundation
import HNSW
import Synchronization
import Testing

/// What the writer and the searchers share.
final class SharedState: Sendable {
    /// Keys deleted so far; a search that starts after a key was recorded must not return it.
    let deleted = Mutex<Set<UInt64>>([])
    let writerDone = Atomic<Bool>(false)
    let violations = Atomic<Int>(0)
    let searches = Atomic<Int>(0)
}

@Suite("Concurrency")
struct ConcurrencyTests {
    /// Searchers run while one writer inserts, updates and deletes. Run under
    /// `swift test --sanitize=thread` (make test-tsan) this proves the absence of data races;
    /// in every build it checks that a delete is visible to every search that starts after it.
    @Test("searches in parallel with a writer")
    func searchersAndWriter() async throws {
        let dimension = 16
        let initial = TestData.clustered(count: 1500, dimension: dimension, clusters: 15, seed: 101)
        let incoming = TestData.clustered(count: 600, dimension: dimension, clusters: 15, seed: 102)
        let index = try makeIndex(initial, parameters: HNSWParameters(m: 8, efConstruction: 40, flatThreshold: 0, consolidationFraction: 0.05))
        let shared = SharedState()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { shared.writerDone.store(true, ordering: .releasing) }
                for (i, vector) in incoming.enumerated() {
                    try index.insert(vector, key: 10_000 + UInt64(i))
                    if i % 2 == 0 {
                        let victim = UInt64(i * 2)
                        index.remove(victim)
                        shared.deleted.withLock { _ = $0.insert(victim) }
                    }
                    if i % 50 == 0 { try index.update(incoming[(i + 1) % incoming.count], key: 10_000 + UInt64(i)) }
                }
            }
            for searcher in 0..<4 {
                group.addTask {
                    var round = 0
                    while !shared.writerDone.load(ordering: .acquiring) || round < 20 {
                        let before = shared.deleted.withLock { $0 }
                        let query = initial[(searcher * 131 + round * 17) % initial.count]
                        let results = try index.search(query, k: 10, ef: 32)
                        if results.contains(where: { before.contains($0.key) }) { shared.violations.add(1, ordering: .relaxed) }
                        _ = try index.search(query, k: 5, ef: 16, filter: { $0 % 2 == 1 })
                        shared.searches.add(1, ordering: .relaxed)
                        round += 1
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(shared.violations.load(ordering: .relaxed) == 0)
        #expect(shared.searches.load(ordering: .relaxed) >= 80)
        #expect(index.count == 1500 + 600 - 300)
        #expect(index.verifyStructure().isEmpty)
    }
}
