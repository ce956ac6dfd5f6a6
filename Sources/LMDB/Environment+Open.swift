internal import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Helpers of `Environment.init`: directory creation, map sizing and the damaged-file check.
extension Environment {
    // MARK: helpers

    static func roundUp(_ value: Int, to multiple: Int) -> Int {
        let (q, r) = value.quotientAndRemainder(dividingBy: multiple)
        return r == 0 ? value : (q + 1) * multiple
    }

    /// `mkdir` one level; an existing directory is fine.
    static func makeDirectory(_ path: String, fileMode: UInt32) throws {
        var mode = fileMode
        if mode & 0o400 != 0 { mode |= 0o100 }
        if mode & 0o040 != 0 { mode |= 0o010 }
        if mode & 0o004 != 0 { mode |= 0o001 }
        if mkdir(path, mode_t(mode)) != 0 && errno != EEXIST {
            throw LMDBError(code: errno, context: "mkdir(\(path))")
        }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// Starts from the larger of the configured size and the size the file was last grown to
    /// (its meta page's map size), capped at `limit`; LMDB itself only keeps the configured
    /// size or the used size, so a reopened store that had grown would regrow at once.
    /// Precondition: no transaction is live (called during open).
    static func adoptStoredMapSize(_ env: OpaquePointer, configured: Int, limit: Int) throws {
        try check(mdb_env_set_mapsize(env, 0), "mdb_env_set_mapsize(stored)")
        var info = MDB_envinfo()
        try check(mdb_env_info(env, &info), "mdb_env_info")
        let stored = Int(info.me_mapsize)
        let target = min(max(stored, configured), max(limit, configured))
        if target != stored {
            try check(mdb_env_set_mapsize(env, target), "mdb_env_set_mapsize(\(target))")
        }
    }

    /// Refuses a data file shorter than its meta page's last page: reading such a page through
    /// the map would raise SIGBUS instead of an error.
    static func verifyFileLength(_ env: OpaquePointer) throws {
        var fd: Int32 = -1
        try check(mdb_env_get_fd(env, &fd), "mdb_env_get_fd")
        var st = stat()
        if fstat(fd, &st) != 0 { throw LMDBError(code: errno, context: "fstat(data file)") }
        var info = MDB_envinfo()
        try check(mdb_env_info(env, &info), "mdb_env_info")
        var envStat = MDB_stat()
        try check(mdb_env_stat(env, &envStat), "mdb_env_stat")
        let (needed, overflow) = (Int(info.me_last_pgno) + 1).multipliedReportingOverflow(by: Int(envStat.ms_psize))
        if overflow || Int(st.st_size) < needed || needed > Int(info.me_mapsize) {
            throw LMDBError.corrupted.with(
                context: "data file is \(st.st_size) bytes but its meta page needs \(overflow ? "an impossible" : "\(needed)") bytes (truncated or damaged)")
        }
    }
}
