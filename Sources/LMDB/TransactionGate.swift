#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts this process's live transactions so that the map can be resized safely.
///
/// `mdb_env_set_mapsize` unmaps and remaps the data file; it requires that no transaction of
/// this process is live, because every borrowed key/value pointer and every reader points
/// into the old mapping. The gate is a writer-preferring readers–writer lock:
///
/// - every transaction (read or write), `info()`, `copy(to:)` enters *shared*;
/// - a resize enters *exclusive*: it announces itself (new shared entries wait), waits for
///   the live count to reach zero, then runs with the mutex held so nobody enters.
///
/// Reentrancy: a thread that already holds a shared entry (a read inside a read, `info()`
/// inside a write) enters again without waiting, otherwise it would wait for a resize that
/// waits for it. A resize requested by a thread that holds a shared entry itself cannot
/// proceed, so `exclusive` reports `.heldByCaller` and the caller surfaces an error.
/// A per-thread depth (a pthread key) tells the two cases apart; this is exact because the
/// transaction closures are synchronous, so entry and exit happen on the same thread.
///
/// The exclusive wait is bounded (`timeout`): a resize blocked by a long read or a copy gives
/// up, lets the waiting readers in, and the write reports `mapFull` instead of blocking
/// forever (e.g. behind a read closure that waits on another thread's read).
final class TransactionGate: @unchecked Sendable {
    // @unchecked Sendable: `active` and `exclusivePending` are only read and written with
    // `mutex` held; `mutex`, `condition` and `depthKey` are set once in init and freed in
    // deinit, when no other reference exists.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var depthKey = pthread_key_t()
    private var active = 0
    private var exclusivePending = 0

    /// Bits of the per-thread word: depth of shared entries << 1 | "in a write closure".
    private static let writingBit = 1

    enum ExclusiveOutcome<R> {
        case ran(R)
        case timedOut
        case heldByCaller
    }

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        #if os(Linux)
        // Time the bounded resize wait on the monotonic clock: a wall-clock jump must not
        // stretch or cut it.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #else
        pthread_cond_init(condition, nil)
        #endif
        pthread_key_create(&depthKey, nil)
    }

    deinit {
        pthread_key_delete(depthKey)
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    // MARK: per-thread state

    private var threadWord: Int {
        get { Int(bitPattern: pthread_getspecific(depthKey)) }
        set { pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: newValue)) }
    }

    /// Shared entries the calling thread holds on this gate.
    var depthOnCurrentThread: Int { threadWord >> 1 }

    /// Whether the calling thread is inside a `write` closure of this environment.
    var isWritingOnCurrentThread: Bool {
        get { threadWord & Self.writingBit != 0 }
        set { threadWord = newValue ? (threadWord | Self.writingBit) : (threadWord & ~Self.writingBit) }
    }

    // MARK: shared

    /// Enters shared. Waits while a resize is pending, unless this thread already holds an
    /// entry. O(1) apart from that wait.
    func enterShared() {
        let word = threadWord
        pthread_mutex_lock(mutex)
        if word >> 1 == 0 {
            while exclusivePending > 0 {
                pthread_cond_wait(condition, mutex)
            }
        }
        active += 1
        pthread_mutex_unlock(mutex)
        threadWord = word + 2
    }

    /// Leaves shared; wakes a pending resize when the last entry leaves.
    func exitShared() {
        pthread_mutex_lock(mutex)
        active -= 1
        if active == 0 && exclusivePending > 0 {
            pthread_cond_broadcast(condition)
        }
        pthread_mutex_unlock(mutex)
        threadWord -= 2
    }

    /// Runs `body` with shared access.
    func withShared<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        enterShared()
        defer { exitShared() }
        return try body()
    }

    // MARK: exclusive

    /// Runs `body` when no transaction of this process is live and none can start.
    ///
    /// - Returns: `.ran` with the result, `.timedOut` when live transactions did not finish
    ///   within `timeout`, `.heldByCaller` when the calling thread itself holds a shared entry.
    func exclusive<R, E: Error>(timeout: Duration, _ body: () throws(E) -> R) throws(E) -> ExclusiveOutcome<R> {
        if depthOnCurrentThread > 0 { return .heldByCaller }
        let deadline = Self.deadline(after: timeout)
        pthread_mutex_lock(mutex)
        exclusivePending += 1
        var timedOut = false
        while active > 0 && !timedOut {
            var when = deadline
            if pthread_cond_timedwait(condition, mutex, &when) == ETIMEDOUT && active > 0 {
                timedOut = true
            }
        }
        defer {
            exclusivePending -= 1
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        if timedOut { return .timedOut }
        return .ran(try body())
    }

    private static func deadline(after timeout: Duration) -> timespec {
        var now = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_MONOTONIC, &now)
        #else
        clock_gettime(CLOCK_REALTIME, &now)
        #endif
        let (seconds, attoseconds) = timeout.components
        var sec = now.tv_sec + Int(clamping: max(seconds, 0))
        var nsec = now.tv_nsec + Int(max(attoseconds, 0) / 1_000_000_000)
        if nsec >= 1_000_000_000 {
            sec += 1
            nsec -= 1_000_000_000
        }
        return timespec(tv_sec: sec, tv_nsec: nsec)
    }
}
