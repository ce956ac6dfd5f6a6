#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemoryStore
import Synchronization

/// `use_count` / `last_used_at` off the read path.
///
/// A search that returns entries must not pay for a durable write: `MemoryStore.recordUse` is
/// an LMDB commit (an fsync with sync durability, see docs/performance.md#storage-and-lmdb),
/// which would multiply an in-memory search's latency and serialise searches behind the single
/// writer. So a search only adds the returned ids to this in-memory table (O(k) under a mutex),
/// and reads (`get`, `list`, `search`) overlay the pending counts, so callers see exact values
/// at once. ``MemoryEngine/flushUsage()`` (called by the daemon every `usageFlushInterval`)
/// writes them with `recordUse`, each entry once with its count.
///
/// Trade-off, documented for operators: a crash loses at most one interval of use counts
/// (usage statistics, not knowledge).
final class UsageRecorder: Sendable {
    typealias Pending = EntryUse

    private let pending = Mutex<[String: [UInt64: Pending]]>([:])

    /// Counts one use of each of `ids` at `time`. O(ids).
    func record(namespace: String, ids: [UInt64], at time: Date) {
        guard !ids.isEmpty else { return }
        pending.withLock { table in
            // Moved out of the table rather than copied, so it is uniquely referenced and
            // updated in place: `table[namespace] ?? [:]` kept a second reference, which made
            // every search copy the namespace's whole pending table (O(pending), not O(ids)).
            var uses = table.removeValue(forKey: namespace) ?? [:]
            for id in ids {
                var use = uses[id] ?? Pending(count: 0, lastUsedAt: time)
                use.count += 1
                if use.lastUsedAt < time { use.lastUsedAt = time }
                uses[id] = use
            }
            table[namespace] = uses
        }
    }

    /// `entry` with its not yet flushed uses added. O(1).
    func overlay(_ entry: MemoryEntry) -> MemoryEntry {
        guard let use = pending.withLock({ $0[entry.namespace]?[entry.id] }) else { return entry }
        var entry = entry
        entry.useCount = MemoryStore.saturatingCount(entry.useCount, plus: use.count)
        if entry.lastUsedAt.map({ $0 < use.lastUsedAt }) ?? true { entry.lastUsedAt = use.lastUsedAt }
        return entry
    }

    /// Drops what is pending for a deleted entry or namespace.
    func discard(namespace: String, id: UInt64? = nil) {
        pending.withLock { table in
            if let id { table[namespace]?[id] = nil } else { table[namespace] = nil }
        }
    }

    /// What is pending now (a copy; it stays pending until ``subtract(_:)``).
    func snapshot() -> [String: [UInt64: Pending]] {
        pending.withLock { $0 }
    }

    /// Removes `written` uses (after they committed). Uses recorded meanwhile stay.
    func subtract(namespace: String, _ written: [UInt64: UInt64]) {
        pending.withLock { table in
            for (id, count) in written {
                guard var use = table[namespace]?[id] else { continue }
                use.count -= min(use.count, count)
                table[namespace]?[id] = use.count == 0 ? nil : use
            }
            if table[namespace]?.isEmpty == true { table[namespace] = nil }
        }
    }
}
