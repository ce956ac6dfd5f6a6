import EngineDocuments
import EngramAPI
import Foundation

extension RebuildJob {
    /// The job as `POST /v1/admin/rebuild` and `/v1/admin/jobs/{id}` return it.
    var document: Job {
        let now = current
        return Job(
            id: id, state: now.state.document, namespaces: namespaces,
            namespace: now.namespace, phase: now.phase?.rawValue, done: now.done,
            total: now.total, cancelRequested: cancelRequested.load(ordering: .relaxed), startedAt: startedAt,
            finishedAt: now.finishedAt, error: now.error.map { Job.Failure(code: $0.code, message: $0.message) },
            results: now.results.map {
                RebuildResult(namespace: $0.namespace, nodes: $0.nodes, caughtUp: $0.caughtUp, m: $0.parameters.m,
                              efConstruction: $0.parameters.efConstruction, quantization: $0.parameters.quantization.document,
                              seconds: $0.seconds)
            })
    }
}

extension RebuildJob.State {
    var document: Job.State {
        switch self {
        case .running: .running
        case .succeeded: .succeeded
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }
}
