import Synchronization

/// Hands out forward-pass workspaces, one per concurrent caller, and keeps them for reuse so
/// that steady-state embedding allocates no scratch. The pool keeps at most `retainLimit`
/// idle workspaces (extra ones, created under a burst of concurrency, are freed on return),
/// so memory stays bounded by the peak concurrency, not by the number of requests.
final class WorkspacePool: Sendable {
    private let idle: Mutex<[BertWorkspace]>
    private let make: @Sendable () -> BertWorkspace
    let retainLimit: Int

    init(retainLimit: Int, make: @escaping @Sendable () -> BertWorkspace) {
        self.retainLimit = retainLimit
        self.make = make
        idle = Mutex([make()])
    }

    /// Runs `body` with a workspace that no one else uses meanwhile. O(1) besides `body`.
    func withWorkspace<R>(_ body: (BertWorkspace) throws -> R) rethrows -> R {
        let workspace = idle.withLock { $0.popLast() } ?? make()
        defer {
            idle.withLock { workspaces in
                if workspaces.count < retainLimit { workspaces.append(workspace) }
            }
        }
        return try body(workspace)
    }

    /// Number of idle workspaces (for tests).
    var idleCount: Int { idle.withLock { $0.count } }
}
