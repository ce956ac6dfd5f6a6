import Embeddings
import EngramTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MemoryEngine
import MemoryStore
import Synchronization
import Testing

/// `rememberEach`: the batch write behind `POST …/memories/batch` and `engram import-texts`.
@Suite struct BatchWriteTests {
    @Test func validItemsAreStoredTogetherAndInvalidOnesReportedAtTheirIndex() throws {
        var configuration = EngineConfiguration()
        configuration.batchEmbeddingThreads = 2
        try withEngine(configuration: configuration) { h in
            let texts = (0..<40).map { "bulk fact number \($0) about topic \($0 % 7)" }
            var requests = texts.map { RememberRequest(text: $0, tags: ["wiki"]) }
            requests[3] = RememberRequest(text: "")
            requests[17] = RememberRequest(text: "wrong vector", vector: [1, 2, 3])
            requests[25] = RememberRequest(text: "bad tag", tags: [String(repeating: "t", count: 500)])
            let before = try h.store.lastSequence
            let results = try h.engine.rememberEach(requests, namespace: "kb")
            #expect(results.count == 40)
            var created: [WriteOutcome] = []
            for (index, result) in results.enumerated() {
                switch result {
                case .created(let outcome):
                    #expect(![3, 17, 25].contains(index))
                    #expect(outcome.entry.text == texts[index])
                    created.append(outcome)
                case .failed(let error):
                    #expect([3, 17, 25].contains(index), "item \(index) failed: \(error)")
                case .learned:
                    Issue.record("item \(index) went through learn without dedupe")
                }
            }
            #expect(created.count == 37)
            #expect(created.first?.namespaceCreated == true)
            // One transaction: ids and sequences consecutive, in order.
            #expect(created.map(\.sequence) == Array((before + 1)...(before + 37)))
            #expect(created.map(\.entry.id) == (0..<37).map { created[0].entry.id + UInt64($0) })
            if case .failed(let error) = results[17] { #expect(error.code == "dimension_mismatch") }
            if case .failed(let error) = results[3] { #expect(error.code == "invalid_argument") }
            // Read-your-writes: each stored text is found by a search right away, under its own vector.
            for index in [0, 20, 39] {
                let hits = try h.engine.search(namespace: "kb", SearchRequest(text: texts[index], k: 1))
                #expect(hits.first?.entry.text == texts[index])
            }
            #expect(try h.engine.rememberEach([], namespace: "kb").isEmpty)
        }
    }

    @Test func aBatchOverTheLimitOrForABadNamespaceFailsAsAWhole() throws {
        try withEngine { h in
            let many = Array(repeating: RememberRequest(text: "x"), count: MemoryEngine.maxBatchItems + 1)
            #expect(engineError { _ = try h.engine.rememberEach(many, namespace: "kb") }?.code == "payload_too_large")
            #expect(engineError { _ = try h.engine.rememberEach([RememberRequest(text: "x")], namespace: "bad name!") }?
                .code == "invalid_argument")
            #expect(h.store.namespaceConfig("kb") == nil)
        }
        var closed = EngineConfiguration()
        closed.autoCreateNamespaces = false
        try withEngine(configuration: closed) { h in
            #expect(engineError { _ = try h.engine.rememberEach([RememberRequest(text: "x")], namespace: "kb") }?
                .code == "namespace_not_found")
        }
    }

    @Test func dedupeLearnReinforcesRepeatsWithinTheBatchAndAgainstTheStore() throws {
        try withEngine { h in
            let existing = try h.engine.remember(RememberRequest(text: "the office opens at nine"), namespace: "kb")
            let results = try h.engine.rememberEach([
                RememberRequest(text: "the deploy runs on fridays"),
                RememberRequest(text: "the office opens at nine"),
                RememberRequest(text: "the deploy runs on fridays"),
                RememberRequest(text: ""),
            ], namespace: "kb", dedupe: .learn)
            guard case .learned(let first) = results[0], case .learned(let second) = results[1],
                  case .learned(let third) = results[2], case .failed(let fourth) = results[3] else {
                Issue.record("unexpected results \(results)")
                return
            }
            #expect(first.action == .created)
            #expect(second.action == .reinforced)
            #expect(second.entry?.id == existing.entry.id)
            #expect(third.action == .reinforced)
            #expect(third.entry?.id == first.entry?.id)
            #expect(third.entry?.evidence.support == (first.entry?.evidence.support ?? 0) + 1)
            #expect(fourth.code == "invalid_argument")
            #expect(try h.engine.list(namespace: "kb", after: 0, limit: 10).entries.count == 2)
        }
    }

    @Test func parallelEmbeddingKeepsTheInputOrder() throws {
        let embedder = WordHashEmbedder.hashing64
        let texts = (0..<203).map { index in String(repeating: "word\(index) ", count: 1 + index % 9) }
        let parallel = ParallelEmbedding(threads: 4, priority: .nice(5), minimumPerThread: 8)
        let vectors = try parallel.embed(texts, using: embedder)
        #expect(vectors == texts.map { embedder.vector($0) })
        let chunks = ParallelEmbedding.chunks(of: texts, count: 4)
        #expect(chunks.flatMap { $0 }.sorted() == Array(texts.indices))
        #expect(chunks.map(\.count).max()! - chunks.map(\.count).min()! <= 1)
        // Too few texts for several threads: embedded inline, same result.
        #expect(try parallel.embed(Array(texts.prefix(10)), using: embedder) == texts.prefix(10).map { embedder.vector($0) })
    }

    #if os(Linux)
    @Test func batchThreadsRunInTheIdleClassOrAtTheirNiceValueAndTheCallerIsUntouched() throws {
        // Compared with the test runner's own scheduling, which a thread can only lower.
        let callerPolicy = sched_getscheduler(0)
        let callerNiceness = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        // The idle class, or nice 19 where the system refuses it.
        let lowered = { (seen: (policy: Int32, niceness: Int32)) in
            seen.policy == ParallelEmbedding.idleSchedulingClass || (seen.policy == callerPolicy && seen.niceness == 19)
        }
        let texts = (0..<64).map { "text \($0)" }
        let idle = SchedulingRecorder()
        _ = try ParallelEmbedding(threads: 2, priority: .idle, minimumPerThread: 8).embed(texts, using: idle)
        #expect(idle.seen.withLock { $0 }.count == 2)
        #expect(idle.seen.withLock { $0 }.allSatisfy(lowered))
        let nice = SchedulingRecorder()
        _ = try ParallelEmbedding(threads: 2, priority: .nice(7), minimumPerThread: 8).embed(texts, using: nice)
        #expect(nice.seen.withLock { $0 }.map(\.niceness) == [max(7, callerNiceness), max(7, callerNiceness)])
        #expect(nice.seen.withLock { $0 }.map(\.policy) == [callerPolicy, callerPolicy])
        // A batch that finds every batch thread busy still runs lowered, on a thread of its own.
        let held = SchedulingRecorder(holdingFirstCall: true)
        let one = ParallelEmbedding(threads: 1, priority: .idle, minimumPerThread: 8)
        let first = DispatchGroup()
        first.enter()
        Thread {
            _ = try? one.embed(texts, using: held)
            first.leave()
        }.start()
        held.firstCallEntered.wait()  // the only batch thread is taken
        _ = try one.embed(texts, using: held)
        held.releaseFirstCall.signal()
        first.wait()
        #expect(held.seen.withLock { $0 }.count == 2)
        #expect(held.seen.withLock { $0 }.allSatisfy(lowered))
        // The calling thread (a request's) keeps its scheduling.
        #expect(sched_getscheduler(0) == callerPolicy)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == callerNiceness)
    }
    #endif

    @Test func aBatchLeavesTheQueryCacheAsItWas() throws {
        let embedder = CachingEmbedder(WordHashEmbedder.hashing64, capacity: 100)
        try withEngine(embedder: embedder) { h in
            // A single remember caches its text, as before; so does a text search.
            _ = try h.engine.remember(RememberRequest(text: "one single write"), namespace: "kb")
            #expect(embedder.cache.value(for: "one single write") != nil)
            _ = try h.engine.search(namespace: "kb", SearchRequest(text: "a query searches repeat", k: 3))
            let cachedBefore = embedder.cache.count
            #expect(cachedBefore == 2)
            let results = try h.engine.rememberEach((0..<50).map { RememberRequest(text: "stored text \($0)") }, namespace: "kb")
            #expect(results.allSatisfy { if case .created = $0 { true } else { false } })
            #expect(embedder.cache.count == cachedBefore)
            #expect(embedder.cache.value(for: "stored text 7") == nil)
        }
    }

    @Test func embeddingSeveralTextsLeavesTheQueryCacheAsItWasAndOneTextIsCached() throws {
        let embedder = CachingEmbedder(WordHashEmbedder.hashing64, capacity: 100)
        try withEngine(embedder: embedder) { h in
            let several = try h.engine.embed(["first document", "second document", "third document"])
            #expect(several.vectors == ["first document", "second document", "third document"].map { WordHashEmbedder.hashing64.vector($0) })
            #expect(embedder.cache.count == 0)
            _ = try h.engine.embed(["a query, embedded alone"])
            #expect(embedder.cache.value(for: "a query, embedded alone") != nil)
            #expect(embedder.cache.count == 1)
        }
    }

    @Test func aFailingEmbedderFailsTheTextItemsButNotTheVectorOnes() throws {
        try withEngine(embedder: FailingEmbedder()) { h in
            let vector = [Float](repeating: 0.1, count: WordHashEmbedder.hashing64.dimension)
            let results = try h.engine.rememberEach([
                RememberRequest(text: "needs the embedder"),
                RememberRequest(text: "brings its vector", vector: vector),
            ], namespace: "kb")
            guard case .failed(let error) = results[0], case .created(let stored) = results[1] else {
                Issue.record("unexpected results \(results)")
                return
            }
            #expect(error.code == "embedding_failed")
            #expect(stored.entry.text == "brings its vector")
        }
    }
}

/// Records the scheduling policy and nice value of each thread that calls it; with
/// `holdingFirstCall`, the first call waits for `releaseFirstCall` after recording.
private final class SchedulingRecorder: Embedder {
    let seen = Mutex<[(policy: Int32, niceness: Int32)]>([])
    let holdingFirstCall: Bool
    let firstCallEntered = DispatchSemaphore(value: 0)
    let releaseFirstCall = DispatchSemaphore(value: 0)
    var dimension: Int { WordHashEmbedder.hashing64.dimension }
    var identifier: String { WordHashEmbedder.hashing64.identifier }

    init(holdingFirstCall: Bool = false) {
        self.holdingFirstCall = holdingFirstCall
    }

    func embed(_ texts: [String]) throws -> [[Float]] {
        #if os(Linux)
        let entry = (policy: sched_getscheduler(0), niceness: getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        let isFirst = seen.withLock { seen in
            seen.append(entry)
            return seen.count == 1
        }
        if holdingFirstCall && isFirst {
            firstCallEntered.signal()
            releaseFirstCall.wait()
        }
        #endif
        return texts.map { WordHashEmbedder.hashing64.vector($0) }
    }
}

/// An embedder whose model is broken: every call fails.
private struct FailingEmbedder: Embedder {
    var dimension: Int { WordHashEmbedder.hashing64.dimension }
    var identifier: String { WordHashEmbedder.hashing64.identifier }
    func embed(_ texts: [String]) throws -> [[Float]] { throw EmbeddingError.invalidOutput("the weights are damaged") }
}
