import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The data files this process has open, so that a second `Environment` on the same file is
/// refused before `mdb_env_open` runs. The check must precede the open: LMDB's locks are POSIX
/// record locks, which belong to the process and are all released when *any* descriptor of
/// the lock file is closed, so even a failed second open would silently unlock the first.
///
/// Files are identified by the canonical (symlink-free) path of the environment directory,
/// or of the data file's directory plus its name without a subdirectory. Hard links and bind
/// mounts of the same file are not detected.
enum OpenEnvironments {
    /// The registry, guarded by `lock`. NSLock (a pthread mutex) rather than Synchronization's
    /// Mutex: ThreadSanitizer does not see that Mutex's futex on Linux and would report every
    /// concurrent open as a race.
    private final class Registry: @unchecked Sendable {
        // @unchecked: `paths` is only touched with `lock` held.
        let lock = NSLock()
        var paths = Set<String>()

        func withLock<T>(_ body: (inout Set<String>) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&paths)
        }
    }

    private static let paths = Registry()

    /// Records `path`; throws `LMDBError.busy` if this process already has it open.
    /// Precondition: with a subdirectory, the directory exists (for read-only opens a missing
    /// directory is left for `mdb_env_open` to report).
    static func register(path: String, usesSubdirectory: Bool) throws -> String {
        let key = canonicalKey(path: path, usesSubdirectory: usesSubdirectory)
        let inserted = paths.withLock { $0.insert(key).inserted }
        guard inserted else {
            throw LMDBError.busy.with(context: "\(path) is already open in this process; share that Environment")
        }
        return key
    }

    static func unregister(_ key: String) {
        _ = paths.withLock { $0.remove(key) }
    }

    static func canonicalKey(path: String, usesSubdirectory: Bool) -> String {
        if usesSubdirectory {
            return (resolved(path) ?? path) + "/data.mdb"
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return (resolved(directory.isEmpty ? "/" : directory) ?? directory) + "/" + name
    }

    private static func resolved(_ path: String) -> String? {
        guard let raw = realpath(path, nil) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }
}
