#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Free space of the file system holding a path (`statvfs`), for the checks that must tell
/// "the disk is full" from other failures: LMDB reports a page write that the file system
/// cut short as `EIO`, not `ENOSPC`, and a hot copy should be refused before it fills a disk.
public enum DiskSpace {
    /// Bytes an unprivileged process may still write on the file system holding `path`
    /// (`f_bavail · f_frsize`), or `nil` when `statvfs` fails.
    public static func availableBytes(at path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let (bytes, overflow) = Int(clamping: info.f_bavail).multipliedReportingOverflow(by: Int(clamping: info.f_frsize))
        return overflow ? Int.max : bytes
    }

    /// Below this many free bytes a failed write is taken for a full disk: a commit writes
    /// whole pages, so a file system this close to full cannot take one more.
    public static let nearlyFullBytes = 4 << 20

    /// `error` as ``LMDBError/noSpace`` when it is an I/O error on a file system at
    /// `path` with less than ``nearlyFullBytes`` free (LMDB's report of a short write), else
    /// unchanged.
    public static func explaining(_ error: LMDBError, at path: String) -> LMDBError {
        guard error.code == EIO || error.code == ENOSPC else { return error }
        guard error.code == ENOSPC || (availableBytes(at: path).map { $0 < nearlyFullBytes } ?? false) else { return error }
        let free = availableBytes(at: path).map { "\($0) bytes free" } ?? "free space unknown"
        return LMDBError.noSpace.with(context: "\(error.context ?? "write") failed: the disk holding \(path) is full (\(free))")
    }
}
