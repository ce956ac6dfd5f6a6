import Synchronization

/// One-shot "the socket is published" signal, awaited by tests and by the server's own watchdog.
/// Public because engram-prompt's server (PromptAssembly) signals its own readiness with it.
/// A final class so the server's `onServerRunning` callback and waiters share it; the Mutex
/// protects the outcome and the waiting continuations.
public final class ReadinessSignal: Sendable {
    private struct State {
        var outcome: Result<Void, any Error>?
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }
    private let state = Mutex(State())

    public init() {}

    /// Marks the signal ready and wakes every waiter. Only the first outcome counts: a later
    /// ``succeed()`` or ``fail(_:)`` is a no-op, so shutdown may call ``fail(_:)`` unconditionally.
    public func succeed() { complete(.success(())) }
    /// Marks the signal failed with `error` (rethrown by every ``wait()``), unless it already
    /// has an outcome.
    public func fail(_ error: any Error) { complete(.failure(error)) }

    private func complete(_ outcome: Result<Void, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }

    /// Returns once the signal succeeded, throws the error it failed with; returns (or throws)
    /// at once when the outcome is already known. Not cancellable: pair it with a ``fail(_:)``
    /// on every exit path of the thing being waited for.
    public func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, any Error>? in
                if let outcome = state.outcome { return outcome }
                state.waiters.append(continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }
}

/// Runs `action` once, when ``arrive()`` has been called `count` times (each listener arrives
/// when it accepts connections). The Mutex protects the remaining count.
package final class Countdown: Sendable {
    private let remaining: Mutex<Int>
    private let action: @Sendable () -> Void

    package init(_ count: Int, action: @escaping @Sendable () -> Void) {
        remaining = Mutex(count)
        self.action = action
    }

    package func arrive() {
        let fire = remaining.withLock { remaining -> Bool in
            remaining -= 1
            return remaining == 0
        }
        if fire { action() }
    }
}
