#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Embeds a large batch of texts (a bulk load) on several threads at a lower scheduling
/// priority, so that a bulk load uses the cores the machine leaves idle without slowing the
/// searches and single writes that share them.
///
/// Why threads of its own: one ``Embedder/embed(_:)`` call runs on one core (the daemon keeps
/// BLAS single-threaded, see ``MiniLMEmbedder/Options/singleThreadedBLAS``), so a batch
/// embedded in one call leaves the other cores idle. The texts are split into `threads`
/// chunks of similar length mix, each embedded by its own thread. Those threads are created
/// for the batch and lowered to `niceness` before they start: on Linux the nice value belongs
/// to the thread, a raised one cannot be lowered again without privileges, so a thread that
/// serves other work afterwards (a pool's) must never be the one lowered. A search or a
/// single write that shares a core with them is scheduled first.
///
/// `threads` is a budget shared by every batch embedded through this value and its copies
/// (the engine holds one): a batch takes the threads that are free, up to one per
/// `minimumPerThread` texts, and a batch that finds none free — or has fewer than
/// `minimumPerThread` texts, where a thread would cost more than it saves — is embedded on
/// the calling thread.
public struct ParallelEmbedding: Sendable {
    /// Most threads embedding batches at once, at least 1.
    public let threads: Int
    /// The nice value (0…19) of those threads: higher yields the cores sooner.
    public let niceness: Int32
    /// Fewest texts worth a thread of their own.
    public let minimumPerThread: Int
    private let budget: ThreadBudget

    public init(threads: Int, niceness: Int32 = 10, minimumPerThread: Int = 16) {
        self.threads = max(1, threads)
        self.niceness = min(19, max(0, niceness))
        self.minimumPerThread = max(1, minimumPerThread)
        budget = ThreadBudget(self.threads)
    }

    /// The threads a configuration's `0` ("automatic") stands for: the cores available.
    public static var automaticThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// One vector per text, in input order, from `embedder`. O(texts · model cost / threads).
    /// - Throws: the first error any chunk's `embed` threw (the others run to their end);
    ///   ``EmbeddingError/invalidOutput(_:)`` when a chunk comes back with the wrong count.
    public func embed(_ texts: [String], using embedder: any Embedder) throws -> [[Float]] {
        guard texts.count >= minimumPerThread else { return try embedder.embed(texts) }
        let chunkCount = budget.take(upTo: min(threads, texts.count / minimumPerThread))
        defer { budget.give(chunkCount) }
        guard chunkCount > 0 else { return try embedder.embed(texts) }
        let chunks = Self.chunks(of: texts, count: chunkCount)
        let results = ChunkResults(count: chunkCount)
        let finished = DispatchGroup()
        let niceness = self.niceness
        for (chunkIndex, chunk) in chunks.enumerated() {
            let chunkTexts = chunk.map { texts[$0] }
            finished.enter()
            let thread = Thread {
                Self.lowerPriority(to: niceness)
                let result = Result { try embedder.embed(chunkTexts) }
                results.slots.withLock { $0[chunkIndex] = result }
                finished.leave()
            }
            thread.name = "engram-batch-embed"
            thread.start()
        }
        finished.wait()
        var vectors = [[Float]](repeating: [], count: texts.count)
        let collected = results.slots.withLock { $0 }
        for (chunk, result) in zip(chunks, collected) {
            guard let chunkVectors = try result?.get(), chunkVectors.count == chunk.count else {
                throw EmbeddingError.invalidOutput("\(embedder.identifier) returned the wrong number of vectors for a batch")
            }
            for (position, index) in chunk.enumerated() { vectors[index] = chunkVectors[position] }
        }
        return vectors
    }

    /// Indices of `texts` dealt into `count` chunks in order of length, so each chunk holds a
    /// similar mix of short and long texts and the threads finish together.
    public static func chunks(of texts: [String], count: Int) -> [[Int]] {
        let byLength = texts.indices.sorted { (texts[$0].utf8.count, $0) < (texts[$1].utf8.count, $1) }
        var chunks = [[Int]](repeating: [], count: count)
        for (position, index) in byLength.enumerated() { chunks[position % count].append(index) }
        return chunks
    }

    /// Raises the calling thread's nice value (Linux: per thread). A failure leaves it as it
    /// was: the batch is then merely as urgent as everything else.
    static func lowerPriority(to niceness: Int32) {
        guard niceness > 0 else { return }
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
    }
}

/// The chunks' results, filled by their threads (a class: a `Mutex` cannot be captured by the
/// threads' escaping closures).
private final class ChunkResults: Sendable {
    let slots: Mutex<[Result<[[Float]], any Error>?]>

    init(count: Int) {
        slots = Mutex([Result<[[Float]], any Error>?](repeating: nil, count: count))
    }
}

/// The batch threads free in the process.
private final class ThreadBudget: Sendable {
    private let free: Mutex<Int>

    init(_ threads: Int) {
        free = Mutex(threads)
    }

    /// Takes up to `wanted` threads; returns how many it took (0 when none is free).
    func take(upTo wanted: Int) -> Int {
        free.withLock { free in
            let taken = max(0, min(wanted, free))
            free -= taken
            return taken
        }
    }

    func give(_ count: Int) {
        free.withLock { $0 += count }
    }
}
