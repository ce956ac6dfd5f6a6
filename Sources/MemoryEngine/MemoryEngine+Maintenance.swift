import Logging
import MemoryStore

/// Background work the daemon schedules: purging expired entries and flushing use counts.
extension MemoryEngine {
    /// Deletes entries whose `expires_at` has passed, each with an `expired` audit event
    /// (actor `engine`), at most `limit` per call (one commit each; call again while `more`).
    /// Reads already hide expired entries, so purging only reclaims space. Pinned entries
    /// expire too: an expiry is an explicit instruction, pinning only protects from learning.
    /// - Complexity: O(entries) in memory to find them, plus one commit per purged entry.
    @discardableResult
    public func purgeExpired(limit: Int = 1000) throws(EngineError) -> PurgeOutcome {
        try InputValidation.limit(limit, max: 1_000_000)
        let now = clock()
        var outcome = PurgeOutcome(purged: 0, lastSequence: nil, more: false)
        for name in store.namespaces().map(\.config.name) where writer.decidesWrites(of: name) {
            let table = try facts(name)
            let remaining = limit - outcome.purged
            guard remaining > 0 else {
                outcome.more = outcome.more || !table.expiredIDs(at: now, limit: 1).isEmpty
                continue
            }
            let ids = table.expiredIDs(at: now, limit: remaining + 1)
            if ids.count > remaining { outcome.more = true }
            for id in ids.prefix(remaining) {
                let sequence: UInt64? = try exclusive {
                    // Re-check under the lock: an edit may have extended or cleared the expiry.
                    guard let entry = try store.get(namespace: name, id: id), Self.isExpired(entry, at: now) else {
                        return nil
                    }
                    let context = AuditContext(actor: "engine", reason: "expired", time: now)
                    let result = try write(.delete(EntryDeletion(namespace: name, id: id, kind: .expired,
                                                                 context: context))).writeResult()
                    return result.sequence
                }
                if let sequence {
                    outcome.purged += 1
                    outcome.lastSequence = sequence
                }
            }
        }
        if outcome.purged > 0 { logger.info("purged expired entries", metadata: ["count": "\(outcome.purged)"]) }
        return outcome
    }

    /// Writes the use counts and `last_used_at` that searches recorded in memory (see
    /// `UsageRecorder`) with `MemoryStore.recordUse`: no audit event, no new version.
    /// Called by the daemon every `usageFlushInterval` and at shutdown. On a failure (full
    /// disk) the counts stay pending for the next call.
    /// - Returns: the number of entries updated.
    /// - Complexity: one commit per namespace with pending uses; each used entry is rewritten
    ///   once, however many searches returned it.
    @discardableResult
    public func flushUsage() throws(EngineError) -> Int {
        var written = 0
        for (namespace, pending) in usage.snapshot() {
            guard store.namespaceConfig(namespace) != nil else {
                usage.discard(namespace: namespace)
                continue
            }
            guard !pending.isEmpty else { continue }
            written += try translatingErrors {
                guard case .count(let count) = try writer.perform(.recordUse(
                    namespace: namespace, uses: pending.sorted { $0.key < $1.key }.map { EntryUseRecord(id: $0.key, use: $0.value) }))
                else { throw EngineError.internalError("recording uses returned another outcome") }
                return count
            }
            usage.subtract(namespace: namespace, pending.mapValues(\.count))
        }
        return written
    }

    /// Overwrites the data file's free pages if a hard forget happened since the last call
    /// (`MemoryStore.scrubFreePagesIfPending`): LMDB is copy-on-write, so the pages that held
    /// a forgotten entry keep its bytes until then. The daemon calls it with every use-count
    /// flush, so a hard-forgotten text is gone from `data.mdb` within one flush interval.
    /// - Returns: the pages overwritten, or `nil` when nothing was pending or a long read
    ///   transaction still needs the pages (then it stays pending).
    @discardableResult
    public func scrubFreedPages() throws(EngineError) -> Int? {
        let pages = try translatingErrors { try store.scrubFreePagesIfPending() }
        if let pages { logger.info("overwrote free pages after a hard forget", metadata: ["pages": "\(pages)"]) }
        return pages
    }
}
