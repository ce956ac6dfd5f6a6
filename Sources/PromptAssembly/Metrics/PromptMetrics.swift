import Foundation
import Prometheus
import Synchronization

/// engram-prompt's Prometheus metrics, in a registry of its own.
///
/// Not swift-metrics' global `MetricsSystem`: it can be bootstrapped once per process, and a
/// test process runs engramd (which bootstraps it) beside several engram-prompt instances. So
/// each service owns a `PrometheusCollectorRegistry` and creates its metrics there directly;
/// `/metrics` renders that registry.
///
/// - `engram_prompt_http_requests_total{route,method,status}` and
///   `engram_prompt_http_request_duration_seconds{route,method,status}`
/// - `engram_prompt_daemon_unavailable_total`: requests answered 503 because engramd was down
/// - `engram_prompt_upstream_requests_total{kind,status}`: chat / extraction calls upstream
/// - `engram_prompt_extraction_failures_total{reason}`: extraction output that could not be used
/// - `engram_prompt_facts_learned_total{action}`: `created`, `reinforced`, `matched_pinned`
/// - `engram_prompt_memories_injected_total`
public final class PromptMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let daemonUnavailable: Counter
    let memoriesInjected: Counter
    /// Handles by label set; the Mutex is held only for the dictionary lookup.
    private let counters = Mutex<[String: Counter]>([:])
    private let histograms = Mutex<[String: DurationHistogram]>([:])

    static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10), .seconds(30),
    ]

    public init() {
        daemonUnavailable = registry.makeCounter(descriptor: Self.descriptor(
            "daemon_unavailable", "total", "Requests answered 503 because engramd could not be reached"))
        memoriesInjected = registry.makeCounter(descriptor: Self.descriptor(
            "memories_injected", "total", "Memories placed into prompts and chat requests"))
    }

    /// `engram_prompt_<name>_<unit>`.
    static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "engram_prompt", metricName: name, unitName: unit, helpText: help)
    }

    /// The counter `engram_prompt_<name>_total{labels}`.
    func counter(_ name: String, _ labels: [(String, String)], help: String) -> Counter {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        return counters.withLock { map in
            if let counter = map[key] { return counter }
            let counter = registry.makeCounter(descriptor: Self.descriptor(name, "total", help), labels: labels)
            map[key] = counter
            return counter
        }
    }

    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        counter("http_requests", labels, help: "HTTP requests by route template, method and status").increment()
        let key = labels.map { "\($0.0)=\($0.1)" }.joined(separator: "|")
        let histogram = histograms.withLock { map in
            if let histogram = map[key] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: Self.descriptor("http_request_duration", "seconds", "HTTP request latency (to the response head)"),
                labels: labels, buckets: Self.durationBuckets)
            map[key] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    /// Extraction output that could not be used; `reason` is a short stable word.
    func extractionFailed(_ reason: String) {
        counter("extraction_failures", [("reason", reason)], help: "Learning attempts whose output could not be used, by reason").increment()
        lastLearningFailure.withLock { $0 = (reason, Date()) }
    }

    /// An exchange not learned from for a reason that is no failure (a tool call, no text):
    /// counted with the failures' reasons (`engram_prompt_extraction_failures_total`, as
    /// before), without touching the last failure `/v1/health` shows.
    func learningSkipped(_ reason: String) {
        counter("extraction_failures", [("reason", reason)], help: "Learning attempts whose output could not be used, by reason").increment()
    }

    /// The reason and time of the last learning failure (shown by `/v1/health`), `nil` before
    /// the first.
    let lastLearningFailure = Mutex<(reason: String, at: Date)?>(nil)

    func factLearned(_ action: String) {
        counter("facts_learned", [("action", action)], help: "Extracted facts stored through learn, by outcome").increment()
    }

    func upstreamRequest(kind: String, status: String) {
        counter("upstream_requests", [("kind", kind), ("status", status)], help: "Requests to the upstream model by kind and status").increment()
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
