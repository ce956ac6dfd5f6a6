import CoreMetrics
import Metrics
import Prometheus

/// The process-wide Prometheus registry behind swift-metrics.
///
/// `MetricsSystem.bootstrap` may run only once per process (it traps on a second call), yet a
/// test process starts many servers. So the bootstrap lives in a lazily initialized global:
/// the Swift runtime runs the initializer exactly once, thread-safely, the first time any server
/// (or `engramd`) touches ``registry``. Every other module (MemoryEngine's gauges, say) just uses
/// swift-metrics' `Counter`/`Gauge`/`Timer`, which land in this registry.
public enum EngramMetrics {
    /// Latency buckets for request durations: 50 µs to 10 s, dense where a socket search lives.
    public static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(10),
    ]

    /// The registry `/metrics` renders. Touching it bootstraps swift-metrics (once).
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Makes sure the bootstrap happened; call before creating any metric.
    public static func bootstrap() {
        _ = registry
    }

    /// The Prometheus text exposition of every metric.
    public static func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
