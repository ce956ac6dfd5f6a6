import Glibc

/// A writer-preferring readers-writer lock over `pthread_rwlock_t`.
///
/// Searches hold it shared for their whole traversal; the single writer holds it exclusively
/// only for the few microseconds it takes to publish a prepared change. Writer preference keeps
/// a steady stream of searches from starving the writer — which also means a thread must not
/// take it shared twice (a writer queued in between would deadlock both). Public so that the
/// layers above (the engine's filter tables) share this one implementation.
public final class ReadWriteLock: @unchecked Sendable {
    // The pthread lock is the synchronisation primitive itself; its storage never moves.
    private let handle: UnsafeMutablePointer<pthread_rwlock_t>

    public init() {
        handle = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        let status = pthread_rwlock_init(handle, &attributes)
        pthread_rwlockattr_destroy(&attributes)
        precondition(status == 0, "pthread_rwlock_init failed: \(status)")
    }

    deinit {
        pthread_rwlock_destroy(handle)
        handle.deallocate()
    }

    @inline(__always)
    public func withReadLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_rdlock(handle)
        defer { pthread_rwlock_unlock(handle) }
        return try body()
    }

    @inline(__always)
    public func withWriteLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_wrlock(handle)
        defer { pthread_rwlock_unlock(handle) }
        return try body()
    }
}
