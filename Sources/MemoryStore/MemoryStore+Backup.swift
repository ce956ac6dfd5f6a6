#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import LMDB

extension MemoryStore {
    /// Writes a consistent, compacted copy of the store to the directory `destination`
    /// (created if missing; it must not already hold a store) while reads and writes go on.
    /// The copy is one LMDB snapshot, so entries, graph and audit log agree in it, and it
    /// opens with `MemoryStore(path:)` like any store (its index is restored, not rebuilt).
    ///
    /// While the copy runs the map cannot grow; a write that needs growth waits for it (up
    /// to a minute, then fails with `mapFull`, changing nothing).
    /// - Complexity: O(used pages).
    public func backup(to destination: String) throws {
        try env.copy(to: destination, compact: true)
    }

    /// Bytes of the data file of the backup (or store) in directory `path`.
    public func backupSize(at path: String) throws -> Int {
        var status = stat()
        guard stat(path + "/data.mdb", &status) == 0 else { throw LMDBError(code: errno, context: "stat(\(path)/data.mdb)") }
        return Int(status.st_size)
    }

    /// Flushes everything committed to disk; with `.relaxed` durability this makes every
    /// acknowledged write survive power loss. A no-op cost with `.sync`.
    public func sync() throws {
        try env.sync(force: true)
    }
}

extension MemoryStore {
    /// Map size, bytes in use, readers: figures for metrics and `engram` status. O(readers).
    public func storageInfo() throws -> EnvironmentInfo {
        try env.info()
    }

    /// Bytes of pages each of the store's databases holds (branch, leaf and overflow pages),
    /// by name (``Schema``): how much of the file each record kind takes, e.g. the lexical
    /// index (`lexical_documents`, `lexical_stats`) against the rest. O(databases).
    public func databaseBytes() throws -> [String: Int] {
        let named: [(String, Database)] = [
            ("meta", dbs.meta), ("namespaces", dbs.namespaces), ("entries", dbs.entries), ("graph_nodes", dbs.nodes),
            ("vectors", dbs.vectors), ("graph_state", dbs.graphState), ("audit", dbs.audit),
            ("audit_by_namespace", dbs.auditByNamespace), ("audit_by_entry", dbs.auditByEntry),
            ("lexical_documents", dbs.lexicalDocuments), ("lexical_stats", dbs.lexicalStatistics),
            ("rejected_claims", dbs.rejectedClaims),
        ]
        return try env.read { txn in
            var bytes: [String: Int] = [:]
            for (name, db) in named {
                let stat = try txn.statistics(of: db)
                let pages = stat.branchPages.addingReportingOverflow(stat.leafPages).partialValue
                    .addingReportingOverflow(stat.overflowPages).partialValue
                bytes[name] = pages.multipliedReportingOverflow(by: stat.pageSize).partialValue
            }
            return bytes
        }
    }
}

/// What ``MemoryStore/compact(path:)`` did.
public struct CompactionResult: Sendable, Equatable {
    /// Bytes of `data.mdb` before and after.
    public var bytesBefore: Int
    public var bytesAfter: Int
}

extension MemoryStore {
    /// Rewrites the store in `path` as a compacted copy and puts it in place of `data.mdb`:
    /// free pages — with whatever deleted records they still held — are left out and the file
    /// shrinks to its live pages. For a store no process holds (the operator's
    /// `engram compact --data`); a running daemon overwrites its free pages instead
    /// (``scrubFreePages()``).
    ///
    /// Safe against interruption: the copy is written and synced in `path/compact.tmp` first,
    /// and the swap is one `rename`. Refused (nothing changed) when the store is held, or when
    /// it changed between the copy and the swap.
    /// - Complexity: O(used pages).
    public static func compact(path: String) throws -> CompactionResult {
        let data = path + "/data.mdb"
        let temporary = path + "/compact.tmp"
        func status(_ file: String) throws -> stat {
            var result = stat()
            guard stat(file, &result) == 0 else { throw LMDBError(code: errno, context: "stat(\(file))") }
            return result
        }
        func removeTemporary() {
            unlink(temporary + "/data.mdb")
            unlink(temporary + "/lock.mdb")
            rmdir(temporary)
        }
        removeTemporary()
        let copied: stat
        do {
            let store = try MemoryStore(path: path)
            try store.backup(to: temporary)
            copied = try status(data)
        }
        // The store is closed; hold its lock again for the swap, so no daemon opens the old
        // file meanwhile, and check that nobody wrote to it since the copy.
        let lock: ProcessLock
        do {
            lock = try ProcessLock(store: path)
        } catch {
            removeTemporary()
            throw error
        }
        defer { withExtendedLifetime(lock) {} }
        let now = try status(data)
        guard now.st_size == copied.st_size, now.st_mtim.tv_sec == copied.st_mtim.tv_sec,
              now.st_mtim.tv_nsec == copied.st_mtim.tv_nsec else {
            removeTemporary()
            throw MemoryStoreError.locked("\(path) was written while it was being compacted; nothing was changed")
        }
        let before = Int(now.st_size)
        guard rename(temporary + "/data.mdb", data) == 0 else {
            let code = errno
            removeTemporary()
            throw LMDBError(code: code, context: "rename(\(temporary)/data.mdb, \(data))")
        }
        // LMDB's lock file describes the old file's readers; it is recreated at the next open.
        unlink(path + "/lock.mdb")
        removeTemporary()
        let directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        return CompactionResult(bytesBefore: before, bytesAfter: Int(try status(data).st_size))
    }
}
