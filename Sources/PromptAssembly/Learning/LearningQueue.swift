import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// One finished exchange to learn from.
struct LearningJob: Sendable {
    var namespace: String
    /// The model that answered; the extraction uses `learning.model` when set, else this.
    var model: String
    /// The user's and the assistant's text, each at most ``LearningQueue/maxTextBytes`` once
    /// queued.
    var user: String
    var assistant: String
    /// The chat request's own `Authorization`, for the extraction call when
    /// `upstream.api_key` is empty (each client then pays for, and may, learn from its own
    /// exchanges).
    var authorization: String?
    /// The turns before the exchange ("User: …", "Assistant: …"), for the extraction prompt.
    var conversation: String = ""
    /// Provenance recorded with each learned fact.
    var conversationID: String?
    var endUser: String?
    /// When the exchange happened (the facts' `occurred_at`).
    var exchangedAt = Date()
}

/// Runs learning after answers have been returned, one job at a time, as a `Service`.
///
/// Jobs are submitted by the chat route and processed in order by ``run()``, so extraction
/// never delays an answer and never loads the upstream with more than one extraction at a time.
/// On graceful shutdown no job is accepted any more (a late one is logged and counted as
/// `reason="shutting_down"`), and ``run()`` returns only after every queued job has finished:
/// list the queue before the server in the `ServiceGroup` so the server drains its requests
/// (and their submissions) first.
public final class LearningQueue: Service {
    private let stream: AsyncStream<LearningJob>
    private let continuation: AsyncStream<LearningJob>.Continuation
    private let learner: Learner
    private let metrics: PromptMetrics
    private let logger: Logger

    /// Jobs submitted and not yet finished, and the waiters of ``waitUntilIdle()``.
    private struct State {
        var pending = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    init(learner: Learner, metrics: PromptMetrics, logger: Logger) {
        // Bounded: under a flood of answers, the jobs past the bound are skipped and counted
        // (`reason="queue_full"`) rather than held in memory without end.
        (stream, continuation) = AsyncStream.makeStream(of: LearningJob.self, bufferingPolicy: .bufferingOldest(Self.capacity))
        self.learner = learner
        self.metrics = metrics
        self.logger = logger
    }

    /// Queues `job`; false (logged and counted) when the queue no longer accepts work.
    @discardableResult
    func submit(_ job: LearningJob) -> Bool {
        state.withLock { $0.pending += 1 }
        var bounded = job
        bounded.user = RequestContext.prefix(job.user, bytes: Self.maxTextBytes)
        bounded.assistant = RequestContext.prefix(job.assistant, bytes: Self.maxTextBytes)
        switch continuation.yield(bounded) {
        case .enqueued:
            return true
        case .dropped:
            logger.warning("learning skipped: the queue is full", metadata: ["namespace": "\(job.namespace)"])
            metrics.extractionFailed("queue_full")
        default:
            logger.warning("learning skipped: shutting down", metadata: ["namespace": "\(job.namespace)"])
            metrics.extractionFailed("shutting_down")
        }
        finishOne()
        return false
    }

    /// Jobs waiting at most.
    static let capacity = 1000
    /// The longest user or assistant text a job keeps (what the extraction prompt sees).
    static let maxTextBytes = 32 * 1024

    /// Returns once every submitted job has finished (immediately when none is pending).
    public func waitUntilIdle() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.pending == 0 { return true }
                state.waiters.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
    }

    public func run() async {
        await withGracefulShutdownHandler {
            for await job in stream {
                await learner.learn(from: job)
                finishOne()
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }

    private func finishOne() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.pending -= 1
            guard state.pending == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
