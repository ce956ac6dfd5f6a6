import Foundation
import HNSW
import MemoryEngine
import MemoryStore
import Synchronization

/// One background index rebuild, over one namespace or several in turn.
///
/// The rebuild runs on its own thread (it blocks for minutes on a large namespace; the
/// blocking pool is for request-sized work). Its progress is written here by that thread and
/// read by `GET /v1/admin/jobs/{id}`; `DELETE` sets ``cancelRequested``, which the store polls
/// between pages, so a cancel takes effect within one page of inserts and changes nothing.
final class RebuildJob: Sendable {
    enum State: String, Sendable {
        case running, succeeded, failed, cancelled
    }

    /// What the job has done so far, copied out for a response.
    struct Snapshot: Sendable {
        var state: State = .running
        var namespace: String?
        var phase: IndexRebuildProgress.Phase?
        var done = 0
        var total = 0
        var finishedAt: Date?
        var error: EngineError?
        var results: [IndexRebuildResult] = []
    }

    let id: String
    let namespaces: [String]
    let m: Int?
    let efConstruction: Int?
    let quantization: VectorQuantization?
    let startedAt: Date
    let cancelRequested = Atomic<Bool>(false)
    private let snapshot = Mutex(Snapshot())

    init(id: String, namespaces: [String], m: Int?, efConstruction: Int?, quantization: VectorQuantization?, startedAt: Date) {
        self.id = id
        self.namespaces = namespaces
        self.m = m
        self.efConstruction = efConstruction
        self.quantization = quantization
        self.startedAt = startedAt
    }

    var current: Snapshot { snapshot.withLock { $0 } }
    var isRunning: Bool { current.state == .running }

    /// Rebuilds each namespace in turn on the calling thread; stops at the first failure or
    /// at a cancel. Called once, by the job's thread.
    func run(on engine: MemoryEngine) {
        for name in namespaces {
            snapshot.withLock {
                $0.namespace = name
                $0.phase = nil
                $0.done = 0
                $0.total = 0
            }
            do {
                let result = try engine.rebuildIndex(
                    namespace: name, m: m, efConstruction: efConstruction, quantization: quantization,
                    progress: { progress in
                        self.snapshot.withLock {
                            $0.phase = progress.phase
                            $0.done = progress.done
                            $0.total = progress.total
                        }
                    },
                    isCancelled: { self.cancelRequested.load(ordering: .relaxed) })
                snapshot.withLock { $0.results.append(result) }
            } catch {
                finish(error.code == "cancelled" ? .cancelled : .failed, error: error)
                return
            }
        }
        finish(.succeeded, error: nil)
    }

    private func finish(_ state: State, error: EngineError?) {
        snapshot.withLock {
            $0.state = state
            $0.error = state == .failed ? error : nil
            $0.phase = nil
            $0.finishedAt = Date()
        }
    }
}

/// The daemon's background jobs: at most one rebuild at a time (two would compete for the
/// same cores and the same final write lock), and the last finished ones for their reports.
final class AdminJobs: Sendable {
    /// Finished jobs kept for `GET /v1/admin/jobs/{id}`.
    static let keptFinishedJobs = 32

    private struct Registry {
        var nextID = 1
        var jobs: [String: RebuildJob] = [:]
        var order: [String] = []
    }

    private let registry = Mutex(Registry())

    func job(_ id: String) -> RebuildJob? {
        registry.withLock { $0.jobs[id] }
    }

    /// Starts a rebuild job on a new thread.
    /// - Throws: `conflict` while another rebuild runs.
    func startRebuild(
        namespaces: [String], m: Int?, efConstruction: Int?, quantization: VectorQuantization?, engine: MemoryEngine
    ) throws(EngineError) -> RebuildJob {
        let job = try registry.withLock { registry throws(EngineError) -> RebuildJob in
            for job in registry.jobs.values where job.isRunning {
                throw .conflict("index rebuild job \(job.id) is running; wait for it or cancel it")
            }
            let job = RebuildJob(id: String(registry.nextID), namespaces: namespaces, m: m, efConstruction: efConstruction,
                                 quantization: quantization, startedAt: Date())
            registry.nextID += 1
            registry.jobs[job.id] = job
            registry.order.append(job.id)
            // Forget the oldest finished jobs beyond the limit.
            while registry.order.count > Self.keptFinishedJobs,
                  let oldest = registry.order.first, registry.jobs[oldest]?.isRunning == false {
                registry.order.removeFirst()
                registry.jobs[oldest] = nil
            }
            return job
        }
        let thread = Thread { job.run(on: engine) }
        thread.name = "engram-rebuild-\(job.id)"
        thread.start()
        return job
    }
}
