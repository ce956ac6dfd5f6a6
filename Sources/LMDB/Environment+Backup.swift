internal import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Flushing and hot copies.
extension Environment {
    // MARK: durability and backup

    /// Flushes committed data to disk (`mdb_env_sync`). With `.relaxed` durability,
    /// `force: true` makes every commit so far survive power loss. With `.sync` it is a no-op
    /// unless `force`. Throws `accessDenied` on a read-only environment.
    public func sync(force: Bool = true) throws {
        try gate.withShared { () throws(LMDBError) in
            try check(mdb_env_sync(handle, force ? 1 : 0), "mdb_env_sync")
        }
    }

    /// Writes a consistent snapshot of the environment to `destination` while other threads
    /// keep reading and writing (`mdb_env_copyfd2` in a read transaction of its own).
    ///
    /// `destination` is a directory (created if missing, must not contain `data.mdb`) that
    /// will hold `data.mdb`, or the data file itself if the environment was opened without a
    /// subdirectory. The copy is flushed (`fsync`) before this returns, so it is a durable
    /// backup. With `compact` (`MDB_CP_COMPACT`) free pages are omitted and pages renumbered:
    /// smaller, and slower. Without it LMDB briefly takes the write lock to snapshot the meta
    /// pages.
    ///
    /// While the copy runs the map cannot grow (the copy reads through the map); a write that
    /// needs growth waits up to `growthWaitTimeout`.
    ///
    /// Precondition: not inside a `write` closure on this thread (throws `wouldDeadlock`).
    /// - Complexity: O(used pages).
    public func copy(to destination: String, compact: Bool = true) throws {
        if gate.isWritingOnCurrentThread {
            throw LMDBError.wouldDeadlock.with(context: "copy inside a write closure")
        }
        let filePath: String
        if options.usesSubdirectory {
            try Self.makeDirectory(destination, fileMode: options.fileMode)
            filePath = destination.hasSuffix("/") ? destination + "data.mdb" : destination + "/data.mdb"
        } else {
            filePath = destination
        }
        let fd = open(filePath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(options.fileMode))
        if fd < 0 { throw LMDBError(code: errno, context: "open(\(filePath))") }
        var failure: LMDBError?
        do {
            try gate.withShared { () throws(LMDBError) in
                try check(mdb_env_copyfd2(handle, fd, compact ? UInt32(MDB_CP_COMPACT) : 0), "mdb_env_copyfd2")
            }
            if fsync(fd) != 0 { failure = LMDBError(code: errno, context: "fsync(\(filePath))") }
        } catch {
            failure = error
        }
        if close(fd) != 0 && failure == nil { failure = LMDBError(code: errno, context: "close(\(filePath))") }
        if let failure {
            unlink(filePath)
            throw failure
        }
        if options.usesSubdirectory { Self.syncDirectory(destination) }
    }
}
