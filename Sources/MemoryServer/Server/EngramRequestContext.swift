import Hummingbird
import EngramService

/// The request context of every Engram route.
///
/// Kept minimal on purpose: the peer's identity travels in a header set by the connection
/// handler (``Hummingbird/Request/peerCredentials``) and server-wide state in
/// ``ServerEnvironment``, so building a context per request costs nothing beyond Hummingbird's
/// core storage.
public struct EngramRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}

/// What routes may need from the server: the effective configuration, version and start time,
/// the thread pool for blocking engine calls and the scrape-time gauges.
public struct ServerEnvironment: Sendable {
    public let configuration: ServerConfiguration
    public let version: String
    public let startedAt: ContinuousClock.Instant
    /// Where routes run blocking engine calls (writes, embeddings, LMDB reads); started and
    /// stopped by ``MemoryServer``. Sized by `server.blocking_threads`.
    public let blockingPool: BlockingWorkPool
    /// Gauges computed per `/metrics` scrape; route installers add their collectors here.
    public let scrapeMetrics: ScrapeMetrics

    public init(configuration: ServerConfiguration, version: String, startedAt: ContinuousClock.Instant = .now) {
        self.configuration = configuration
        self.version = version
        self.startedAt = startedAt
        self.blockingPool = BlockingWorkPool(threads: configuration.effectiveBlockingThreads)
        self.scrapeMetrics = ScrapeMetrics()
    }

    /// Seconds since the server started.
    public var uptimeSeconds: Double {
        let elapsed = ContinuousClock.now - startedAt
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// The Engram version reported by `/v1/health` and `engramd --version`.
public enum EngramVersion {
    public static let current = "0.1.0"
}
