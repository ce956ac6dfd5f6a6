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
/// for the batch and lowered to `priority` before they start: on Linux the scheduling class
/// and nice value belong to the thread, and a lowered one cannot be raised again without
/// privileges, so a thread that serves other work afterwards (a pool's) must never be the one
/// lowered. A search or a single write that shares a core with them is scheduled first.
///
/// `threads` is a budget shared by every batch embedded through this value and its copies
/// (the engine holds one): a batch takes the threads that are free, up to one per
/// `minimumPerThread` texts. A batch that finds none free still runs on one lowered thread of
/// its own (beyond the budget): embedded on the calling thread — a request's, at normal
/// priority — it would delay the searches that share its core, as a second batch in flight
/// from `engram import-texts` otherwise would. Only a batch of fewer than `minimumPerThread`
/// texts, where a thread would cost more than it saves, is embedded on the calling thread.
public struct ParallelEmbedding: Sendable {
    /// How the batch threads yield to the rest of the process.
    public enum Priority: Sendable, Equatable {
        /// Linux's idle scheduling class (`SCHED_IDLE`): a thread runs only on a core no other
        /// thread wants, and a waking search preempts it at once. Where Linux refuses the
        /// class, nice 19; on other systems the threads keep the caller's priority.
        case idle
        /// A nice value (clamped to 0…19; Linux only): higher yields the cores sooner, but a
        /// thread that wakes may still wait for the batch thread's time slice to end.
        case nice(Int32)
    }

    /// The batch threads the budget holds, at least 1 (a batch that finds none free adds one
    /// of its own: see above).
    public let threads: Int
    /// The scheduling of those threads.
    public let priority: Priority
    /// Fewest texts worth a thread of their own.
    public let minimumPerThread: Int
    private let budget: ThreadBudget

    public init(threads: Int, priority: Priority = .idle, minimumPerThread: Int = 16) {
        self.threads = max(1, threads)
        if case .nice(let value) = priority {
            self.priority = .nice(min(19, max(0, value)))
        } else {
            self.priority = priority
        }
        self.minimumPerThread = max(1, minimumPerThread)
        budget = ThreadBudget(self.threads)
    }

    /// The threads a configuration's `0` ("automatic") stands for: the cores available.
    public static var automaticThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// One vector per text, in input order, from `embedder` (``Embedder/embedBulk(_:)``: a
    /// cache in front of the model is read, not filled). O(texts · model cost / threads).
    /// - Throws: the first error any chunk's `embed` threw (the others run to their end);
    ///   ``EmbeddingError/invalidOutput(_:)`` when a chunk comes back with the wrong count.
    public func embed(_ texts: [String], using embedder: any Embedder) throws -> [[Float]] {
        guard texts.count >= minimumPerThread else { return try embedder.embedBulk(texts) }
        let taken = budget.take(upTo: min(threads, texts.count / minimumPerThread))
        defer { budget.give(taken) }
        let chunkCount = max(1, taken)
        let chunks = Self.chunks(of: texts, count: chunkCount)
        let results = ChunkResults(count: chunkCount)
        let finished = DispatchGroup()
        let priority = self.priority
        for (chunkIndex, chunk) in chunks.enumerated() {
            let chunkTexts = chunk.map { texts[$0] }
            finished.enter()
            let thread = Thread {
                Self.lower(to: priority)
                let result = Result { try embedder.embedBulk(chunkTexts) }
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

    /// Lowers the calling thread to `priority` (Linux: per thread). A failure leaves it as it
    /// was, or at nice 19 where the idle class is refused: the batch is then merely less urgent.
    static func lower(to priority: Priority) {
        #if os(Linux)
        switch priority {
        case .idle:
            var parameters = sched_param(sched_priority: 0)
            if sched_setscheduler(0, Self.idleSchedulingClass, &parameters) != 0 {
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            }
        case .nice(let niceness):
            guard niceness > 0 else { return }
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        }
        #endif
    }

    /// `SCHED_IDLE` (<linux/sched.h>; Glibc exports it only under `_GNU_SOURCE`).
    public static let idleSchedulingClass: Int32 = 5
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
