import MemoryEngine
import NIOPosix
import Synchronization
import EngramAPI

/// The dedicated threads that run blocking engine calls, so they never occupy an event loop
/// (where connections' tasks run, see ``EventLoopAffineChannel``) or Swift's cooperative pool.
///
/// Why: ``MemoryEngine`` is synchronous. A write holds its thread for an LMDB commit (an fsync
/// with `durability = "sync"`, see docs/performance.md#storage-and-lmdb), a text request for a
/// MiniLM embedding (docs/performance.md#embedding), and an index read lock can wait behind a
/// writer. There are only as many event loops as cores, each serving several connections, so
/// two such calls on a two-core machine would stall every other request — searches, health
/// checks, metrics — until they finish. On this pool they wait here instead and the event loops
/// keep serving.
///
/// What stays inline: pure in-memory vector searches, where the hop (a queue push, a thread
/// wake-up and a continuation resume) would cost more than it saves (see
/// docs/performance.md#socket-search-path-and-daemon-threads).
///
/// Lifecycle: ``MemoryServer`` starts it before it accepts connections and shuts it down
/// after Hummingbird has finished the in-flight requests, so no acknowledged request loses
/// its work. A call made while the pool is not running (before start, after shutdown) gets
/// 503 `unavailable`, never a crash.
public final class BlockingWorkPool: Sendable {
    /// Number of threads (``ServerConfiguration/effectiveBlockingThreads``).
    public let threadCount: Int
    // NIOThreadPool is @unchecked Sendable: it guards its state with its own lock.
    private let pool: NIOThreadPool
    /// Our view of the pool's life, so a second start (a server run twice) is an error rather
    /// than NIOThreadPool's trap.
    private let phase = Mutex(Phase.idle)
    private enum Phase { case idle, running, stopped }

    /// Thrown by ``start()`` when the pool was already shut down: a ``MemoryServer`` runs once.
    public struct AlreadyStopped: Error, CustomStringConvertible {
        public var description: String { "this server has already run and stopped; create a new MemoryServer" }
    }

    /// - Parameter threads: at least 1 (values below are raised to 1).
    public init(threads: Int) {
        threadCount = max(1, threads)
        pool = NIOThreadPool(numberOfThreads: threadCount)
    }

    /// Starts the threads. Idempotent while running.
    /// - Throws: ``AlreadyStopped`` after ``shutdown()``.
    func start() throws {
        let start = try phase.withLock { phase throws(AlreadyStopped) -> Bool in
            switch phase {
            case .idle: phase = .running; return true
            case .running: return false
            case .stopped: throw AlreadyStopped()
            }
        }
        if start { pool.start() }
    }

    /// Stops the threads after the work already running; work still queued gets 503
    /// `unavailable`. Call after the last request (``MemoryServer`` does, once Hummingbird has
    /// drained the connections). Idempotent.
    func shutdown() async {
        let wasRunning = phase.withLock { phase -> Bool in
            defer { phase = .stopped }
            return phase == .running
        }
        if wasRunning { try? await pool.shutdownGracefully() }
    }

    /// Runs `body` on a pool thread and returns its result, turning an ``EngineError`` into
    /// the API error document (see ``RouteSupport/apiError(for:)``).
    ///
    /// Once `body` has started it always runs to completion, even if the request's task is
    /// cancelled meanwhile, so a write is never abandoned half-way; a task cancelled before
    /// its turn never starts its work.
    /// - Throws: the mapped engine error; 503 `unavailable` if the pool is not running or the
    ///   request was cancelled before its turn.
    public func run<R: Sendable>(_ body: @escaping @Sendable () throws(EngineError) -> R) async throws(APIError) -> R {
        do {
            let receipt = LogReceipt.current  // a task-local: carried onto the pool's thread by hand
            return try await pool.runIfActive { () throws -> R in try LogReceipt.$current.withValue(receipt) { try body() } }
        } catch let error as EngineError {
            throw RouteSupport.apiError(for: error)
        } catch is CancellationError {
            throw RouteSupport.apiError(for: .unavailable("the request was cancelled before it ran (the daemon is stopping)"))
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw RouteSupport.apiError(for: .unavailable("the daemon is not running requests (stopping or not started)"))
        } catch {
            throw RouteSupport.apiError(for: .internalError("\(error)"))
        }
    }
}
