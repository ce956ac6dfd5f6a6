import Foundation

/// The arithmetic of the report, shared by every column.
enum Measurement {
    /// Mean over queries of |first `k` result ids ∩ first `k` truth ids| / `k` (the dataset
    /// README's definition; a query with fewer than `k` results simply scores fewer hits).
    /// - Precondition: one truth row per result row, each at least `k` long.
    static func recall(at k: Int, results: [[UInt64]], truth: [[UInt64]]) -> Double {
        precondition(results.count == truth.count && truth.allSatisfy { $0.count >= k })
        guard !results.isEmpty else { return 0 }
        var hits = 0
        for (found, expected) in zip(results, truth) {
            let wanted = Set(expected.prefix(k))
            hits += Set(found.prefix(k)).intersection(wanted).count
        }
        return Double(hits) / Double(results.count * k)
    }

    /// Nearest-rank percentile of sorted nanosecond latencies, in microseconds.
    static func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
        return Double(sorted[rank]) / 1000
    }
}

func monotonicNanos() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The process's anonymous resident memory in MiB: what the heap holds, without the pages of
/// mapped files, which come and go with the page cache. Read from `smaps_rollup`, which walks
/// the page tables; the counters in `/proc/self/status` can lag by tens of MiB.
func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("Anonymous:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kilobytes / 1024
    }
    return 0
}

/// glibc's `malloc_trim` (in <malloc.h>, which the Glibc module does not export): returns freed
/// heap pages to the system so that resident-memory deltas measure live allocations only.
@_silgen_name("malloc_trim")
func malloc_trim(_ pad: Int) -> Int32

/// glibc's `mtrace`/`muntrace` (<mcheck.h>): with libc_malloc_debug.so preloaded and
/// MALLOC_TRACE set, every allocation between the two calls is written to that file;
/// otherwise they do nothing.
@_silgen_name("mtrace")
func mtrace()
@_silgen_name("muntrace")
func muntrace()
