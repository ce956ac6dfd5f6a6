import Metrics
import Synchronization
import EngramService

extension EngramMetrics {
    /// Counts `measurement` as `engram_http_requests_total` and times it in
    /// `engram_http_request_duration_seconds`, labelled by route, method and status.
    @Sendable
    public static func record(_ measurement: RequestMeasurement) {
        let handles = requestHandles.handles(route: measurement.route, method: measurement.method,
                                             status: measurement.status)
        handles.counter.increment()
        handles.timer.recordNanoseconds(Int64(measurement.duration / .nanoseconds(1)))
    }

    static let requestHandles = MetricsHandleCache()
}

/// Metric handles by label set, behind a Mutex (middleware runs on many tasks at once).
final class MetricsHandleCache: Sendable {
    struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }
    struct Handles: Sendable {
        let counter: Counter
        let timer: Metrics.Timer
    }

    private let storage = Mutex<[Key: Handles]>([:])

    func handles(route: String, method: String, status: Int) -> Handles {
        let key = Key(route: route, method: method, status: status)
        return storage.withLock { map in
            if let handles = map[key] { return handles }
            let dimensions = [("route", route), ("method", method), ("status", String(status))]
            let handles = Handles(
                counter: Counter(label: "engram_http_requests_total", dimensions: dimensions),
                timer: Metrics.Timer(label: "engram_http_request_duration_seconds", dimensions: dimensions,
                                     preferredDisplayUnit: .seconds))
            map[key] = handles
            return handles
        }
    }
}
