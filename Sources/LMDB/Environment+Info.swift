internal import CLMDB

/// Read-only facts about the environment: map, pages, readers.
extension Environment {
    // MARK: information

    /// Map size, pages in use, last transaction, reader slots. O(reader slots).
    public func info() throws -> EnvironmentInfo {
        try gate.withShared { () throws(LMDBError) -> EnvironmentInfo in
            var raw = MDB_envinfo()
            try check(mdb_env_info(handle, &raw), "mdb_env_info")
            var stat = MDB_stat()
            try check(mdb_env_stat(handle, &stat), "mdb_env_stat")
            return EnvironmentInfo(
                mapSize: Int(clamping: raw.me_mapsize),
                lastPageNumber: Int(clamping: raw.me_last_pgno),
                lastTransactionID: Int(clamping: raw.me_last_txnid),
                maxReaders: Int(clamping: raw.me_maxreaders),
                readerSlotsUsed: Int(clamping: raw.me_numreaders),
                activeReaders: activeReaderCount(),
                pageSize: Int(clamping: stat.ms_psize))
        }
    }

    /// B-tree statistics of the main (unnamed) database. For a named database use
    /// `Transaction.statistics(of:)`.
    public func statistics() throws -> DatabaseStatistics {
        try gate.withShared { () throws(LMDBError) -> DatabaseStatistics in
            var stat = MDB_stat()
            try check(mdb_env_stat(handle, &stat), "mdb_env_stat")
            return DatabaseStatistics(stat)
        }
    }

    /// Frees the reader slots of processes that died while reading (`mdb_reader_check`);
    /// such slots pin old pages, so the file grows instead of reusing them. Returns how many
    /// were freed. Cheap; run it periodically in long-lived multi-process setups.
    @discardableResult
    public func checkStaleReaders() throws -> Int {
        var dead: Int32 = 0
        try check(mdb_reader_check(handle, &dead), "mdb_reader_check")
        return Int(dead)
    }

    /// Active read transactions in the reader table, across all processes (`mdb_reader_list`).
    func activeReaderCount() -> Int {
        var lines = 0
        _ = mdb_reader_list(handle, { message, context in
            guard let message, let context else { return 0 }
            // One header line, then one line per live reader, or "(no active readers)".
            // A line ending in "-" is a slot reserved by a thread with no transaction.
            let text = String(cString: message)
            if !text.hasPrefix("(no active") && !text.contains("pid") && !text.hasSuffix("-\n") {
                context.assumingMemoryBound(to: Int.self).pointee += 1
            }
            return 0
        }, &lines)
        return lines
    }

    /// The longest key LMDB accepts (`mdb_env_get_maxkeysize`, 511 bytes in default builds);
    /// also the limit for values of `dupSort` databases.
    public var maxKeySize: Int {
        Int(mdb_env_get_maxkeysize(handle))
    }
}
