internal import CLMDB

/// `mdb_env_info` and the page size, as returned by `Environment.info()`.
public struct EnvironmentInfo: Sendable, Hashable {
    /// Current map size in bytes (grows automatically up to `maxMapSize`).
    public var mapSize: Int
    /// Highest page number in use; `usedBytes` derives from it.
    public var lastPageNumber: Int
    /// ID of the last committed write transaction.
    public var lastTransactionID: Int
    /// Size of the reader table.
    public var maxReaders: Int
    /// Reader-table slots ever used (a high-water mark; slots may be free now).
    public var readerSlotsUsed: Int
    /// Read transactions live right now, in all processes.
    public var activeReaders: Int
    /// Database page size in bytes.
    public var pageSize: Int

    /// Bytes of the map in use: `(lastPageNumber + 1) * pageSize` (free pages included),
    /// `Int.max` when a damaged meta page makes that overflow.
    public var usedBytes: Int {
        let (pages, overflow) = lastPageNumber.addingReportingOverflow(1)
        let (bytes, tooMany) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow || tooMany ? .max : bytes
    }
}

/// `MDB_stat` of one database: the shape of its B-tree and its entry count.
public struct DatabaseStatistics: Sendable, Hashable {
    public var pageSize: Int
    /// Height of the B-tree.
    public var depth: Int
    public var branchPages: Int
    public var leafPages: Int
    /// Pages holding values too large for a leaf (over about half a page).
    public var overflowPages: Int
    /// Number of key/value pairs (with `dupSort`, every value counts).
    public var entries: Int

    /// Fields clamped to `Int`: they come from the file's meta page, which has no checksum.
    init(_ stat: MDB_stat) {
        pageSize = Int(clamping: stat.ms_psize)
        depth = Int(clamping: stat.ms_depth)
        branchPages = Int(clamping: stat.ms_branch_pages)
        leafPages = Int(clamping: stat.ms_leaf_pages)
        overflowPages = Int(clamping: stat.ms_overflow_pages)
        entries = Int(clamping: stat.ms_entries)
    }
}
