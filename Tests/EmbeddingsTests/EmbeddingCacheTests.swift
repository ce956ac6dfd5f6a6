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

    @Test func longTextsMissWithoutBeingLookedUp() {
        let cache = EmbeddingCache(capacity: 4, maximumKeyLength: 8)
        cache.insert([1], for: "12345678")
        #expect(cache.value(for: "12345678") == [1])
        #expect(cache.value(for: "123456789") == nil)
        #expect(cache.statistics == EmbeddingCache.Statistics(hits: 1, misses: 1))
    }

    /// Random lookups and insertions against a plain array kept in recency order: the cache
    /// must hold exactly the reference's entries after every step, and evict what it evicts.
    @Test func evictionOrderMatchesAReferenceLRU() {
        let capacity = 7
        let cache = EmbeddingCache(capacity: capacity)
        var reference: [(key: String, value: Float)] = []   // most recent first
        var generator = SplitMix64(seed: 42)
        var mismatches: [String] = []
        for step in 0..<3000 {
            let number = Int(generator.next() % 13)
            let key = "k\(number)"
            if generator.next() % 3 == 0 {
                let value = Float(step)
                cache.insert([value], for: key)
                reference.removeAll { $0.key == key }
                reference.insert((key, value), at: 0)
                if reference.count > capacity { reference.removeLast() }
            } else {
                let expected = reference.firstIndex { $0.key == key }.map { reference.remove(at: $0) }
                if let expected { reference.insert(expected, at: 0) }
                let found = cache.value(for: key)
                if found != expected.map({ [$0.value] }) {
                    mismatches.append("step \(step) \(key): \(String(describing: found)) expected \(String(describing: expected?.value))")
                }
            }
            if cache.count != reference.count { mismatches.append("step \(step): count \(cache.count) expected \(reference.count)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
        // The reference's order is the cache's recency order, so one more key evicts exactly
        // the reference's last entry (the random phase checks the same on every lookup).
        #expect(reference.count == capacity)
        cache.insert([-1], for: "new")
        let evicted = reference.removeLast().key
        #expect(cache.value(for: evicted) == nil)
        for entry in reference { #expect(cache.value(for: entry.key) == [entry.value]) }
    }

    @Test func concurrentUseIsSafe() {
        let cache = EmbeddingCache(capacity: 64)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for step in 0..<2000 {
                let number = (step * 7 + worker) % 100
                let key = "k\(number)"
                if let value = cache.value(for: key) {
                    if value != [Float(number)] { failures.withLock { $0.append("\(key) held \(value)") } }
                } else {
                    cache.insert([Float(number)], for: key)
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(cache.count <= 64)
        let statistics = cache.statistics
        #expect(statistics.hits + statistics.misses == 16_000)
        #expect(statistics.hits > 0)
        for number in 0..<100 {
            if let value = cache.value(for: "k\(number)") { #expect(value == [Float(number)]) }
        }
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

    @Test func aBulkLoadReadsTheCacheWithoutFillingIt() throws {
        let base = CountingEmbedder()
        let embedder = CachingEmbedder(base, capacity: 10)
        _ = try embedder.embed(["query one", "q2"])
        let bulk = try embedder.embedBulk(["q2", "stored text", "another stored text", "stored text"])
        #expect(bulk == [[2, 1], [11, 1], [19, 1], [11, 1]])
        // The cached query was not embedded again; the new texts were, once each, and not kept.
        #expect(base.calls.withLock { $0 } == [["query one", "q2"], ["stored text", "another stored text"]])
        #expect(embedder.cache.count == 2)
        #expect(embedder.cache.value(for: "stored text") == nil)
        #expect(embedder.cache.value(for: "query one") == [9, 1])
    }

    /// A faulty base embedder: returns `returned` vectors (of length `length`) whatever it is
    /// asked.
    struct MiscountingEmbedder: Embedder {
        let returned: Int
        var length = 2
        var dimension: Int { 2 }
        var identifier: String { "miscounting" }
        func embed(_ texts: [String]) throws -> [[Float]] {
            Array(repeating: Array(repeating: 1, count: length), count: returned)
        }
    }

    @Test("a base embedder's wrong answer is an error, not a crash or a wrong cache entry",
          arguments: [(0, 2), (1, 2), (3, 2), (2, 3)])
    func wrongBaseOutput(returned: Int, length: Int) throws {
        let embedder = CachingEmbedder(MiscountingEmbedder(returned: returned, length: length), capacity: 10)
        #expect {
            try embedder.embed(["a", "b"])
        } throws: { error in
            guard case let .invalidOutput(reason) = error as? EmbeddingError else { return false }
            return reason.contains("miscounting")
        }
        #expect(embedder.cache.count == 0)
    }

    @Test("the single-text convenience checks the count", arguments: [0, 2])
    func singleTextWithWrongCount(returned: Int) {
        #expect {
            try MiscountingEmbedder(returned: returned).embed("a")
        } throws: { error in
            guard case .invalidOutput = error as? EmbeddingError else { return false }
            return true
        }
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
