import Foundation
import Synchronization
import Testing
@testable import Embeddings

@Suite("Embedding cache")
struct EmbeddingCacheTests {
    @Test func evictsTheLeastRecentlyUsedEntry() {
        let cache = EmbeddingCache(capacity: 2)
        cache.insert([1], for: "a")
        cache.insert([2], for: "b")
        #expect(cache.value(for: "a") == [1])      // a is now more recent than b
        cache.insert([3], for: "c")                 // evicts b
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == [1])
        #expect(cache.value(for: "c") == [3])
        #expect(cache.count == 2)
        #expect(cache.statistics == EmbeddingCache.Statistics(hits: 3, misses: 1))
    }

    @Test func reinsertingUpdatesAndRefreshes() {
        let cache = EmbeddingCache(capacity: 2)
        cache.insert([1], for: "a")
        cache.insert([2], for: "b")
        cache.insert([10], for: "a")                // refresh a, b is now least recent
        cache.insert([3], for: "c")
        #expect(cache.value(for: "a") == [10])
        #expect(cache.value(for: "b") == nil)
        cache.removeAll()
        #expect(cache.count == 0)
        #expect(cache.value(for: "a") == nil)
    }

    @Test func longTextsAreNotCached() {
        let cache = EmbeddingCache(capacity: 4, maximumKeyLength: 8)
        cache.insert([1], for: "123456789")
        #expect(cache.count == 0)
    }

    @Test func manyEvictionsKeepTheListConsistent() {
        let cache = EmbeddingCache(capacity: 7)
        for round in 0..<500 {
            let key = "k\(round % 13)"
            if cache.value(for: key) == nil { cache.insert([Float(round % 13)], for: key) }
            #expect(cache.count <= 7)
        }
        for index in 0..<13 {
            if let value = cache.value(for: "k\(index)") { #expect(value == [Float(index)]) }
        }
    }

    @Test func concurrentUseIsSafe() {
        let cache = EmbeddingCache(capacity: 64)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for step in 0..<2000 {
                let key = "k\((step * 7 + worker) % 100)"
                if let value = cache.value(for: key) {
                    precondition(value == [Float(key.dropFirst().count)], "corrupted value")
                } else {
                    cache.insert([Float(key.dropFirst().count)], for: key)
                }
            }
        }
        #expect(cache.count <= 64)
        let statistics = cache.statistics
        #expect(statistics.hits + statistics.misses == 16_000)
    }

    /// An embedder that records the texts it was asked for.
    final class CountingEmbedder: Embedder {
        let calls = Mutex<[[String]]>([])
        var dimension: Int { 2 }
        var identifier: String { "counting" }
        func embed(_ texts: [String]) throws -> [[Float]] {
            calls.withLock { $0.append(texts) }
            return texts.map { [Float($0.count), 1] }
        }
    }

    @Test func cachingEmbedderSendsOnlyMissesOnceEach() throws {
        let base = CountingEmbedder()
        let embedder = CachingEmbedder(base, capacity: 10)
        #expect(embedder.dimension == 2)
        #expect(embedder.identifier == "counting")
        let first = try embedder.embed(["aa", "b", "aa"])
        #expect(first == [[2, 1], [1, 1], [2, 1]])
        let second = try embedder.embed(["b", "ccc", "aa"])
        #expect(second == [[1, 1], [3, 1], [2, 1]])
        #expect(base.calls.withLock { $0 } == [["aa", "b"], ["ccc"]])
        #expect(try embedder.embed("ccc") == [3, 1])
        #expect(base.calls.withLock { $0.count } == 2)
    }

    @Test func cachingTheRealEmbedderReturnsIdenticalVectors() throws {
        let embedder = CachingEmbedder(try TestSupport.requireEmbedder(), capacity: 8)
        let text = "how do I parse json in python"
        let first = try embedder.embed(text)
        let second = try embedder.embed(text)
        #expect(first == second)
        #expect(embedder.cache.statistics == EmbeddingCache.Statistics(hits: 1, misses: 1))
    }
}
