internal import CLMDB

/// Overwriting the pages on LMDB's free list, so that what a delete removed is gone from the
/// data file too.
///
/// Why: LMDB never changes a page in place (copy-on-write). A delete writes new copies of the
/// pages it changes and puts the old ones on the free list, where they keep their old bytes
/// — deleted text included — until a later write happens to reuse them. LMDB hands out free
/// pages oldest first, so writing as many filler pages as the free list holds, committing,
/// and deleting them again leaves zeros where the old bytes were. A page freed by the last
/// commits can be reused only once no snapshot older than that commit may still be read
/// (LMDB's rule), so the fill runs in a few rounds.
extension Environment {
    /// The number of pages on the free list (summed from its records). O(free-list records).
    public func freePageCount() throws -> Int {
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
                // A record is an ID list: its first word is the number of page numbers after it.
                if value.mv_size >= MemoryLayout<Int>.size, let data = value.mv_data {
                    let count = UnsafeRawPointer(data).loadUnaligned(as: Int.self)
                    let (sum, overflow) = total.addingReportingOverflow(max(0, count))
                    guard !overflow else { throw LMDBError.corrupted.with(context: "free list: impossible page count") }
                    total = sum
                }
                rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
            }
            guard rc == MDB_NOTFOUND else { throw LMDBError(code: rc, context: "mdb_cursor_get(free list)") }
            return total
        }
    }

    /// Overwrites the free pages with zeros: in each of `rounds` rounds, one transaction puts
    /// as many page-sized zero values into `scratch` as the free list holds pages, and the
    /// next one empties `scratch` again. Returns the pages written.
    ///
    /// Cost: about two writes of every free page per round; the file may grow by up to the
    /// free list's size when some free pages are not reusable yet (they stay free for later).
    /// Precondition: `scratch` is a database of this environment used for nothing else.
    @discardableResult
    public func overwriteFreePages(in scratch: Database, rounds: Int = 3) throws -> Int {
        let pageSize = try info().pageSize
        // One overflow page exactly: LMDB puts a value this long on a page of its own, after
        // the page's 16-byte header.
        let filler = [UInt8](repeating: 0, count: max(1, pageSize - 16))
        var written = 0
        for _ in 0..<max(0, rounds) {
            let free = try freePageCount()
            guard free > 0 else { break }
            try write { txn in
                for index in 0..<free {
                    try txn.put(filler, forKey: UInt64Key(UInt64(index)), in: scratch)
                }
            }
            try write { txn in try txn.clear(scratch) }
            written += free
        }
        return written
    }
}
