import Foundation
import Histogram

/// Monotonic nanoseconds (CLOCK_MONOTONIC): what every latency here is measured with.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
}

/// A latency histogram in nanoseconds (HdrHistogram, 3 significant digits: every percentile
/// is within 0.1 % of the recorded value), from 1 ns to 60 s.
struct LatencyHistogram: Sendable {
    private(set) var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000,
                                                   numberOfSignificantValueDigits: .three)

    mutating func record(nanoseconds: UInt64) {
        // A value beyond 60 s is clamped rather than dropped, so the count stays true.
        _ = histogram.record(min(max(nanoseconds, 1), 60_000_000_000))
    }

    mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    var count: UInt64 { histogram.totalCount }

    /// The summary reported in tables and JSON, in microseconds.
    func summary(seconds: Double? = nil) -> LatencySummary {
        let micros = { (p: Double) in Double(histogram.valueAtPercentile(p)) / 1000 }
        return LatencySummary(
            count: Int(histogram.totalCount), p50_us: micros(50), p99_us: micros(99), p999_us: micros(99.9),
            max_us: Double(histogram.max) / 1000, mean_us: histogram.mean / 1000,
            throughput_per_s: seconds.map { $0 > 0 ? Double(histogram.totalCount) / $0 : 0 })
    }
}

/// Percentiles of one measurement (microseconds), as written to the JSON report.
struct LatencySummary: Codable, Sendable {
    var count: Int
    var p50_us: Double
    var p99_us: Double
    var p999_us: Double
    var max_us: Double
    var mean_us: Double
    /// Completed operations per second of wall time, where the measurement had a wall time.
    var throughput_per_s: Double?
}

/// Times `count` calls of `body` (after `warmUp` untimed ones) into a histogram.
/// - Returns: the histogram and the wall time of the timed calls in seconds.
func measure(count: Int, warmUp: Int, _ body: (Int) throws -> Void) rethrows -> (LatencyHistogram, Double) {
    for i in 0..<warmUp { try body(i) }
    var histogram = LatencyHistogram()
    let start = monotonicNanos()
    for i in 0..<count {
        let t0 = monotonicNanos()
        try body(i)
        histogram.record(nanoseconds: monotonicNanos() - t0)
    }
    return (histogram, Double(monotonicNanos() - start) / 1e9)
}

/// The async form of ``measure(count:warmUp:_:)``.
func measureAsync(count: Int, warmUp: Int, _ body: (Int) async throws -> Void) async rethrows -> (LatencyHistogram, Double) {
    for i in 0..<warmUp { try await body(i) }
    var histogram = LatencyHistogram()
    let start = monotonicNanos()
    for i in 0..<count {
        let t0 = monotonicNanos()
        try await body(i)
        histogram.record(nanoseconds: monotonicNanos() - t0)
    }
    return (histogram, Double(monotonicNanos() - start) / 1e9)
}
