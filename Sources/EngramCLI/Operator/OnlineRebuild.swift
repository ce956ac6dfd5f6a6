import Foundation
import EngramAPI
import MemoryClient

/// The online rebuild: starts the daemon's rebuild job, polls it every `interval` ms while
/// drawing its progress, and on Ctrl-C (the console's interrupt flag) asks the daemon to
/// cancel, waits until the job has stopped, and ends with status 130.
///
/// The job runs in the daemon, not here: if this process dies, the rebuild still completes
/// (or can be cancelled by id through the API).
struct OnlineRebuild {
    var client: MemoryClient
    var namespace: String?
    var m: Int?
    var efConstruction: Int?
    var quantization: VectorQuantization?
    var interval: Int

    func run(console: Console) async throws -> [RebuildSummary] {
        var job = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.startRebuild(namespace: namespace, m: m, efConstruction: efConstruction, quantization: quantization)
        }
        let progress = ProgressReporter(console: console)
        var cancelSent = false
        while job.state == .running {
            if console.interrupt.isRequested, !cancelSent {
                cancelSent = true
                progress.finish()
                console.printError("cancelling rebuild job \(job.id)…")
                let id = job.id
                job = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
                    try await client.cancelJob(id)
                }
                continue
            }
            if let current = job.namespace {
                let phase = job.phase
                let position = job.namespaces.count > 1
                    ? " (\((job.namespaces.firstIndex(of: current) ?? 0) + 1)/\(job.namespaces.count))" : ""
                progress.update(label: "rebuild \(current)\(position)", phase: phase, done: job.done, total: job.total)
            }
            try? await Task.sleep(for: .milliseconds(interval))
            let id = job.id
            job = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in try await client.job(id) }
        }
        progress.finish()
        switch job.state {
        case .succeeded:
            if cancelSent { console.printError("the rebuild had finished before the cancel arrived; its result is kept") }
            return job.results.map {
                RebuildSummary(namespace: $0.namespace, nodes: $0.nodes, caughtUp: $0.caughtUp, m: $0.m,
                               efConstruction: $0.efConstruction, quantization: $0.quantization.rawValue, seconds: $0.seconds)
            }
        case .cancelled:
            let kept = job.results.map(\.namespace)
            let note = kept.isEmpty ? "" : " (already rebuilt and kept: \(kept.joined(separator: ", ")))"
            throw CLIFailure(.interrupted, code: "cancelled",
                             "rebuild job \(job.id) cancelled; the previous graph stays in use\(note)")
        case .failed:
            throw CLIFailure(.error, code: job.error?.code ?? "rebuild_failed",
                             job.error?.message ?? "rebuild job \(job.id) failed")
        case .running:
            throw CLIFailure(.error, "rebuild job \(job.id) still running")  // unreachable: the loop ends on it
        }
    }
}
