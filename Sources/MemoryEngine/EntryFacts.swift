#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HNSW
import MemoryStore
import EngramJSON

/// The fields of an entry that search filters and expiry look at, kept in memory so the HNSW
/// predicate can decide in O(1) (one hash lookup) without an LMDB read per visited node.
struct EntryFacts: Sendable {
    var tags: [String]
    var source: String
    var confidence: Double
    var createdAt: Date
    var updatedAt: Date
    var expiresAt: Date?
    var pinned: Bool
    var metadata: [String: JSONValue]
    var occurredAt: Date
    var validFrom: Date?
    var validTo: Date?
    var thread: String?
    var position: Int64?
    var pending: Bool
    var conflicting: Bool

    init(_ entry: MemoryEntry) {
        pending = entry.pending
        conflicting = !entry.conflictsWith.isEmpty
        tags = entry.tags
        source = entry.source
        confidence = entry.confidence
        createdAt = entry.createdAt
        updatedAt = entry.updatedAt
        expiresAt = entry.expiresAt
        pinned = entry.pinned
        metadata = entry.metadata
        occurredAt = entry.occurredAt
        validFrom = entry.validFrom
        validTo = entry.validTo
        thread = entry.thread
        position = entry.position
    }

    func isExpired(at now: Date) -> Bool {
        if let expiresAt { return expiresAt <= now }
        return false
    }
}

/// A ``SearchFilter`` prepared for many evaluations (sets instead of arrays).
struct CompiledFilter: Sendable {
    let tagsAny: Set<String>?
    let tagsAll: [String]?
    let sources: Set<String>?
    let minConfidence: Double?
    let created: TimeRange?
    let updated: TimeRange?
    let metadata: [(String, JSONValue)]
    let pinned: Bool?
    let occurred: TimeRange?
    let validAt: Date?
    let thread: String?
    let maxConfidence: Double?
    let status: StatusFilter
    let conflicting: Bool?
    let now: Date

    /// - Parameter status: the status to admit when the filter names none.
    init(_ filter: SearchFilter?, now: Date, status defaultStatus: StatusFilter = .active) {
        maxConfidence = filter?.maxConfidence
        status = filter?.status ?? defaultStatus
        conflicting = filter?.conflicting
        tagsAny = filter?.tagsAny.map(Set.init)
        tagsAll = filter?.tagsAll
        sources = filter?.sources.map(Set.init)
        minConfidence = filter?.minConfidence
        created = filter?.created
        updated = filter?.updated
        metadata = (filter?.metadata ?? [:]).sorted { $0.key < $1.key }
        pinned = filter?.pinned
        occurred = filter?.occurred
        validAt = filter?.validAt
        thread = filter?.thread
        self.now = now
    }

    /// Whether an entry with these facts may be returned. O(tags + filter terms).
    func admits(_ facts: EntryFacts) -> Bool {
        if facts.isExpired(at: now) { return false }
        switch status {
        case .active: if facts.pending { return false }
        case .pending: if !facts.pending { return false }
        case .any: break
        }
        if let conflicting, facts.conflicting != conflicting { return false }
        if let minConfidence, facts.confidence < minConfidence { return false }
        if let maxConfidence, facts.confidence > maxConfidence { return false }
        if let pinned, facts.pinned != pinned { return false }
        if let sources, !sources.contains(facts.source) { return false }
        if let tagsAny, !facts.tags.contains(where: tagsAny.contains) { return false }
        if let tagsAll, !tagsAll.allSatisfy(facts.tags.contains) { return false }
        if let created, !created.contains(facts.createdAt) { return false }
        if let updated, !updated.contains(facts.updatedAt) { return false }
        if let occurred, !occurred.contains(facts.occurredAt) { return false }
        if let validAt {
            if let from = facts.validFrom, validAt < from { return false }
            if let to = facts.validTo, validAt > to { return false }
        }
        if let thread, facts.thread != thread { return false }
        for (key, value) in metadata where facts.metadata[key] != value { return false }
        return true
    }
}

/// One namespace's ``EntryFacts`` by entry id.
///
/// ## Consistency
/// Loaded lazily from the store on first use (one pass over the namespace's entries) and
/// then kept current by the engine, which updates it after every write it commits, while
/// still holding its writer lock, so updates apply in commit order and before the write
/// returns (read-your-writes). A write that commits while the table loads either is seen by
/// the scan or waits for the load and applies after it; both give the same result because
/// updates are idempotent (upsert / remove by id).
///
/// The table only steers the index: every hit is checked again against the entry read from
/// the store, so stale facts (a write made to the store behind the engine's back) can cost
/// results, never return a wrong one.
///
/// ## Locking
/// A readers-writer lock: searches hold it shared for the whole index traversal (the
/// predicate reads the dictionary in place, with no copy and no per-call lock), writers hold
/// it exclusively for O(1), plus O(thread size) when the entry has a thread. Lock order: engine writer lock → this lock → index lock.
final class FactsTable: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = ReadWriteLock()
    private var loaded = false
    private var facts: [UInt64: EntryFacts] = [:]
    private var expiringCount = 0
    private var pendingCount = 0
    /// Each thread's entries in thread order (see ``ThreadMember``).
    private var threads: [String: [ThreadMember]] = [:]

    /// A table for a namespace known to be empty (just created).
    static func empty() -> FactsTable {
        let table = FactsTable()
        table.loaded = true
        return table
    }

    /// Loads the table with `scan` (which reports every entry once) unless it is loaded.
    /// O(entries) once; O(1) after.
    func ensureLoaded(_ scan: (_ add: (MemoryEntry) -> Void) throws -> Void) throws {
        if lock.withReadLock({ loaded }) { return }
        try lock.withWriteLock {
            guard !loaded else { return }
            var fresh: [UInt64: EntryFacts] = [:]
            var expiring = 0
            var pending = 0
            var members: [String: [ThreadMember]] = [:]
            try scan { entry in
                if entry.expiresAt != nil { expiring += 1 }
                if entry.pending { pending += 1 }
                fresh[entry.id] = EntryFacts(entry)
                if let thread = entry.thread { members[thread, default: []].append(ThreadMember(entry)) }
            }
            facts = fresh
            expiringCount = expiring
            pendingCount = pending
            threads = members.mapValues { $0.sorted() }
            loaded = true
        }
    }

    /// Records `entry` as it now is. O(1). Ignored before the table is loaded (the load
    /// will read the committed entry).
    func upsert(_ entry: MemoryEntry) {
        lock.withWriteLock {
            guard loaded else { return }
            let new = EntryFacts(entry)
            let old = facts.updateValue(new, forKey: entry.id)
            if let old, old.expiresAt != nil { expiringCount -= 1 }
            if new.expiresAt != nil { expiringCount += 1 }
            if let old, old.pending { pendingCount -= 1 }
            if new.pending { pendingCount += 1 }
            if let old, let thread = old.thread { leave(thread, ThreadMember(id: entry.id, position: old.position)) }
            if let thread = entry.thread { join(thread, ThreadMember(entry)) }
        }
    }

    /// Adds `member` to `thread` in order. O(thread size). Precondition: write lock held.
    private func join(_ thread: String, _ member: ThreadMember) {
        var list = threads.removeValue(forKey: thread) ?? []
        list.insert(member, at: list.partitioningIndex { member < $0 })
        threads[thread] = list
    }

    /// Removes `member` from `thread`. O(thread size). Precondition: write lock held.
    private func leave(_ thread: String, _ member: ThreadMember) {
        guard var list = threads.removeValue(forKey: thread) else { return }
        list.removeAll { $0.id == member.id }
        if !list.isEmpty { threads[thread] = list }
    }

    /// Up to `count` ids before and after `id` in its thread, nearest first in each
    /// direction, skipping those `admits` refuses (empty when it has no thread). At most
    /// `count × 64` entries are looked at on each side, so a selective filter on a long thread
    /// costs a bounded walk. O(log thread + count).
    func neighbours(of id: UInt64, count: Int, admits: (EntryFacts) -> Bool) -> (before: [UInt64], after: [UInt64]) {
        lock.withReadLock {
            guard let facts = facts[id], let thread = facts.thread, let list = threads[thread] else { return ([], []) }
            let member = ThreadMember(id: id, position: facts.position)
            let index = list.partitioningIndex { !($0 < member) }
            guard index < list.count, list[index].id == id else { return ([], []) }
            func collect(_ indices: some Sequence<Int>) -> [UInt64] {
                var found: [UInt64] = []
                for i in indices.prefix(count * 64) {
                    guard found.count < count else { break }
                    if let other = self.facts[list[i].id], admits(other) { found.append(list[i].id) }
                }
                return found
            }
            return (collect(stride(from: index - 1, through: 0, by: -1)), collect(index + 1 ..< list.count))
        }
    }

    /// Forgets entry `id`. O(1).
    func remove(_ id: UInt64) {
        lock.withWriteLock {
            guard loaded else { return }
            guard let old = facts.removeValue(forKey: id) else { return }
            if old.expiresAt != nil { expiringCount -= 1 }
            if old.pending { pendingCount -= 1 }
            if let thread = old.thread { leave(thread, ThreadMember(id: id, position: old.position)) }
        }
    }

    /// Runs `body` with shared access: inside it (only), ``unsafeFacts(_:)`` may be called.
    func withSharedAccess<R>(_ body: () throws -> R) rethrows -> R {
        try lock.withReadLock(body)
    }

    /// The facts of `id`. Precondition: called inside ``withSharedAccess(_:)``.
    func unsafeFacts(_ id: UInt64) -> EntryFacts? {
        facts[id]
    }

    /// Whether any entry has an expiry (if none, an unfiltered search needs no predicate).
    var hasExpiringEntries: Bool {
        lock.withReadLock { expiringCount > 0 }
    }

    /// Whether some entry is pending review (a search that does not ask for them must then
    /// refuse them inside the traversal). O(1).
    var hasPendingEntries: Bool {
        lock.withReadLock { pendingCount > 0 }
    }

    /// Ids of entries expired at `now`, at most `limit`. O(entries).
    func expiredIDs(at now: Date, limit: Int) -> [UInt64] {
        lock.withReadLock {
            guard expiringCount > 0 else { return [] }
            var ids: [UInt64] = []
            for (id, entry) in facts where entry.isExpired(at: now) {
                ids.append(id)
                if ids.count == limit { break }
            }
            return ids.sorted()
        }
    }

    /// The ids and facts of every entry `admits` lets through, in no order. O(entries).
    func matching(_ admits: (EntryFacts) -> Bool) -> [(id: UInt64, facts: EntryFacts)] {
        lock.withReadLock {
            var found: [(id: UInt64, facts: EntryFacts)] = []
            for (id, entry) in facts where admits(entry) { found.append((id, entry)) }
            return found
        }
    }
}

/// An entry's place in its thread: by `position`, entries without one after all that have
/// one, ties and unpositioned entries by id (creation order).
struct ThreadMember: Comparable {
    var id: UInt64
    var position: Int64?

    init(id: UInt64, position: Int64?) {
        self.id = id
        self.position = position
    }

    init(_ entry: MemoryEntry) {
        self.init(id: entry.id, position: entry.position)
    }

    static func < (a: ThreadMember, b: ThreadMember) -> Bool {
        switch (a.position, b.position) {
        case let (x?, y?): x != y ? x < y : a.id < b.id
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): a.id < b.id
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition`, for an array
    /// partitioned by it (binary search). O(log n).
    func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if belongsInSecondPartition(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
