import Prometheus
import Synchronization

/// Gauges computed when `/metrics` is scraped, so they are never stale.
///
/// Request counters and latency histograms live in the process-wide ``EngramMetrics/registry``
/// because they accumulate. State figures (entries per namespace, index bytes, store size)
/// are different: they are *read* from the engine at scrape time into a fresh
/// `PrometheusCollectorRegistry` that lives for that one scrape. Consequences:
/// - a namespace deleted since the last scrape simply disappears from the output (no series
///   reads a leftover value, nothing has to be unregistered);
/// - each server owns its own ``ScrapeMetrics``, so servers sharing a process (tests) never
///   see each other's namespaces, unlike gauges in the shared registry.
///
/// Collectors are added by the route installers (``MemoryRoutes/install(on:environment:engine:)``
/// adds the engine's) before the server starts. The Mutex protects the collector list only;
/// collectors run outside it.
public final class ScrapeMetrics: Sendable {
    /// Fills `registry` with the current values of some gauges. Runs on the blocking pool, so
    /// it may take locks; it should cost no more than O(namespaces).
    public typealias Collector = @Sendable (PrometheusCollectorRegistry) -> Void

    private let collectors = Mutex<[Collector]>([])

    public init() {}

    /// Adds a collector; it runs on every scrape from now on.
    public func add(_ collector: @escaping Collector) {
        collectors.withLock { $0.append(collector) }
    }

    /// The Prometheus text exposition of every collector's gauges, freshly computed.
    public func render() -> [UInt8] {
        let current = collectors.withLock { $0 }
        guard !current.isEmpty else { return [] }
        let registry = PrometheusCollectorRegistry()
        for collector in current { collector(registry) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
