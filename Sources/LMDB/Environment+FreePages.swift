internal import CLMDB

/// Overwriting the pages on LMDB's free list, so that what a delete removed is gone from the
/// data file too.
///
/// Why: LMDB never changes a page in place (copy-on-write). A delete writes new copies of the
/// pages it changes and puts the old ones on the free list, where they keep their old bytes
/// — deleted text included — until a later write happens to reuse them. LMDB hands out free
/// pages oldest first, so writing as many page-sized filler values as the free list held,
/// committing, and deleting them again leaves zeros (or the filler tree's keys) where the old
/// bytes were.
///
/// LMDB's rule for reuse: the pages freed by transaction `t` (its free-list record has key
/// `t`) are reused only by a writer whose id is above `t + 1` and only once no reader holds a
/// snapshot older than `t + 1`. Hence the two small "ageing" commits before the fill, the
/// check of the oldest reader, and counting only the records that existed when the scrub
/// began: the scrub's own freed pages are left for the next one, so the free list and the
/// file do not grow from one scrub to the next.
extension Environment {
    /// The number of pages on the free list in records with key (freeing transaction)
    /// at most `through` (all of them when `nil`). O(free-list records).
    public func freePageCount(through: UInt64? = nil) throws -> Int {
        try read { txn in
            let handle = try txn.liveHandle()
            var cursor: OpaquePointer?
            try check(mdb_cursor_open(handle, 0 /* FREE_DBI */, &cursor), "mdb_cursor_open(free list)")
            defer { mdb_cursor_close(cursor) }
            var key = MDB_val()
            var value = MDB_val()
            var total = 0
            var rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
            while rc == MDB_SUCCESS {
                // Keys are transaction ids (native size_t), in ascending order.
                if let through, key.mv_size == 8, let data = key.mv_data,
                   UnsafeRawPointer(data).loadUnaligned(as: UInt64.self) > through { break }
                // A record is an ID list: its first word is the number of page numbers after it.
                if value.mv_size >= MemoryLayout<Int>.size, let data = value.mv_data {
                    let count = UnsafeRawPointer(data).loadUnaligned(as: Int.self)
                    let (sum, overflow) = total.addingReportingOverflow(max(0, count))
                    guard !overflow else { throw LMDBError.corrupted.with(context: "free list: impossible page count") }
                    total = sum
                }
                rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
            }
            guard rc == MDB_SUCCESS || rc == MDB_NOTFOUND else { throw LMDBError(code: rc, context: "mdb_cursor_get(free list)") }
            return total
        }
    }

    /// The snapshot (transaction id) of the oldest live read transaction, in any process, or
    /// `nil` when there is none (`mdb_reader_list`). O(reader slots).
    public func oldestReaderTransaction() -> UInt64? {
        var oldest: UInt64?
        _ = mdb_reader_list(handle, { message, context in
            guard let message, let context else { return 0 }
            // "pid thread txnid" per reader; a slot without a transaction ends in "-".
            let fields = String(cString: message).split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 3, let txnid = UInt64(fields[2].trimmingCharacters(in: .whitespacesAndNewlines)) {
                let slot = context.assumingMemoryBound(to: UInt64?.self)
                slot.pointee = min(slot.pointee ?? .max, txnid)
            }
            return 0
        }, &oldest)
        return oldest
    }

    /// Overwrites the pages that were free when it starts: two small commits age them (see
    /// the type's note), one transaction puts as many page-sized zero values into `scratch`
    /// as there were free pages, the next empties `scratch` again.
    ///
    /// - Returns: the pages overwritten, or `nil` when a reader still holds a snapshot old
    ///   enough to need some of them (a long backup or export): nothing was overwritten then
    ///   and the caller should try again later.
    /// - Precondition: `scratch` is a database of this environment used for nothing else.
    /// - Complexity: about two writes of every free page; the file grows only by the filler
    ///   tree's own pages (one per ~150 values) at most.
    public func overwriteFreePages(in scratch: Database) throws -> Int? {
        let info = try info()
        let pageSize = info.pageSize
        let start = UInt64(clamping: info.lastTransactionID)
        guard try freePageCount(through: start) > 0 else { return 0 }
        // Age the free list: after two commits the writer's own bound passes `start`.
        let marker = UInt64Key(.max)
        for _ in 0..<2 { try write { txn in try txn.put([0], forKey: marker, in: scratch) } }
        try write { txn in try txn.clear(scratch) }
        if let oldest = oldestReaderTransaction(), oldest <= start { return nil }
        let free = try freePageCount(through: start)
        guard free > 0 else { return 0 }
        // One overflow page exactly: LMDB puts a value this long on a page of its own, after
        // the page's 16-byte header.
        let filler = [UInt8](repeating: 0, count: max(1, pageSize - 16))
        try write { txn in
            for index in 0..<free {
                try txn.put(filler, forKey: UInt64Key(UInt64(index)), in: scratch)
            }
        }
        try write { txn in try txn.clear(scratch) }
        // A reader that began meanwhile on an old snapshot cannot exist (snapshots only move
        // forward), so every counted page was reused; what is left is the scratch tree's.
        return free
    }
}
