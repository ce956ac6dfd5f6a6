import Logging
import MemoryEngine
import NIOPosix
import ServiceLifecycle

/// The engine's background work as a ServiceLifecycle service: purges expired entries every
/// `expiryPurgeInterval` and writes recorded use counts every `usageFlushInterval` (both from
/// ``MemoryEngine/configuration``), overwriting the data file's free pages with that flush
/// after a hard forget, and flushes use counts once more at shutdown.
///
/// List it *before* the ``MemoryServer`` in the ServiceGroup: services shut down in reverse
/// order, so the server finishes its in-flight requests (whose searches record uses) before
/// the final flush runs.
///
/// The work itself (commits: one per namespace per flush, one per purged entry) runs on NIO's shared
/// blocking pool (`NIOThreadPool.singleton`), never on a cooperative thread, for the same
/// reason the routes use ``BlockingWorkPool``; this service only waits for it.
public struct EngineMaintenance: Service {
    let engine: MemoryEngine
    let logger: Logger

    public init(engine: MemoryEngine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    public func run() async throws {
        let purgeEvery = Duration.seconds(engine.configuration.expiryPurgeInterval)
        let flushEvery = Duration.seconds(engine.configuration.usageFlushInterval)
        let clock = ContinuousClock()
        var nextPurge = clock.now.advanced(by: purgeEvery)
        var nextFlush = clock.now.advanced(by: flushEvery)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let deadline = min(nextPurge, nextFlush)
            let slept: Void? = try? await cancelWhenGracefulShutdown {
                try await Task.sleep(until: deadline, clock: clock)
            }
            guard slept != nil else { break }
            if clock.now >= nextFlush {
                await flush()
                nextFlush = clock.now.advanced(by: flushEvery)
            }
            if clock.now >= nextPurge {
                await purge()
                nextPurge = clock.now.advanced(by: purgeEvery)
            }
        }
        await flush()
    }

    /// Writes pending use counts, then overwrites the free pages if a hard forget happened
    /// (``MemoryEngine/scrubFreedPages()``); a failure (full disk) keeps either pending for the
    /// next round.
    func flush() async {
        let engine = self.engine
        do {
            _ = try await NIOThreadPool.singleton.runIfActive { try engine.flushUsage() }
        } catch {
            logger.warning("flushing use counts failed", metadata: ["error": "\(error)"])
        }
        do {
            _ = try await NIOThreadPool.singleton.runIfActive { try engine.scrubFreedPages() }
        } catch {
            logger.warning("overwriting free pages failed", metadata: ["error": "\(error)"])
        }
    }

    /// Purges expired entries, as many rounds (of up to 1000) as the engine reports more,
    /// stopping early when the daemon is shutting down.
    func purge() async {
        let engine = self.engine
        do {
            while try await NIOThreadPool.singleton.runIfActive({ try engine.purgeExpired().more }),
                  !Task.isShuttingDownGracefully {}
        } catch {
            logger.warning("purging expired entries failed", metadata: ["error": "\(error)"])
        }
    }
}
