import Hummingbird

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

/// What routes may need from the server: the effective configuration, version and start time.
public struct ServerEnvironment: Sendable {
    public let configuration: ServerConfiguration
    public let version: String
    public let startedAt: ContinuousClock.Instant

    public init(configuration: ServerConfiguration, version: String, startedAt: ContinuousClock.Instant = .now) {
        self.configuration = configuration
        self.version = version
        self.startedAt = startedAt
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
