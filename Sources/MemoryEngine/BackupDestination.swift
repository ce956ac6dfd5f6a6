#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import MemoryStore

/// Where a hot backup asked for over the API may go: a new directory directly inside one of
/// the operator's configured backup directories, never anywhere else the daemon's user can
/// write (another service's data directory, `/etc`, `/dev/shm`).
///
/// A request names the backup either by a bare name (`nightly-2026-12-05`, placed in the
/// first configured directory) or by an absolute path whose parent, once symbolic links are
/// resolved, is one of the configured directories. The name is 1–128 characters of
/// `[A-Za-z0-9._-]`, not `.` or `..`; it must not exist yet (a dangling link counts as existing).
public struct BackupDestination: Sendable, Equatable {
    /// The configured directory the backup goes into, as `realpath` resolves it.
    public let directory: String
    /// The new directory's name.
    public let name: String
    /// `directory/name`.
    public var path: String { directory == "/" ? "/" + name : directory + "/" + name }

    /// Resolves `requested` against `allowed` (the configured backup directories, each
    /// created with mode 0700 if missing).
    ///
    /// - Throws: `invalid_argument` when `requested` is not a valid name or lies outside every
    ///   allowed directory; `conflict` when it exists; `unavailable` when no backup directory
    ///   is configured or one cannot be created.
    public static func resolve(_ requested: String, allowed: [String]) throws(EngineError) -> BackupDestination {
        guard !allowed.isEmpty else { throw .unavailable("no backup directory is configured ([storage] backup_dirs)") }
        guard !requested.utf8.contains(0), requested.utf8.count <= 4096 else {
            throw .invalidArgument("the backup path must be at most 4096 bytes without NUL characters")
        }
        let roots = try allowed.map { directory throws(EngineError) in try resolvedDirectory(directory, create: true) }
        let name: String
        let parent: String
        if let slash = requested.lastIndex(of: "/") {
            guard requested.hasPrefix("/") else {
                throw .invalidArgument("the backup path must be a name or an absolute path, got \"\(requested)\"")
            }
            name = String(requested[requested.index(after: slash)...])
            let given = String(requested[..<slash])
            guard let resolved = try? resolvedDirectory(given.isEmpty ? "/" : given, create: false), roots.contains(resolved) else {
                throw .invalidArgument("backups go into a configured backup directory (\(roots.joined(separator: ", "))), "
                                       + "not \"\(given.isEmpty ? "/" : given)\"")
            }
            parent = resolved
        } else {
            name = requested
            parent = roots[0]
        }
        try validate(name: name)
        let destination = BackupDestination(directory: parent, name: name)
        var status = stat()
        if lstat(destination.path, &status) == 0 {
            throw .conflict("\"\(destination.path)\" exists: a backup goes to a new directory")
        }
        return destination
    }

    /// 1–128 of `[A-Za-z0-9._-]`, not `.` or `..`.
    static func validate(name: String) throws(EngineError) {
        guard PlainName.isValid(name) else {
            throw .invalidArgument("invalid backup name \"\(name)\": use 1–128 characters of A–Z, a–z, 0–9, '.', '_', '-' (not . or ..)")
        }
    }

    /// `path` with every symbolic link resolved; with `create`, missing directories on the
    /// way are made (mode 0700) first.
    static func resolvedDirectory(_ path: String, create: Bool) throws(EngineError) -> String {
        if create { try makeDirectories(path) }
        guard let resolved = realpath(path, nil) else {
            throw .unavailable("backup directory \"\(path)\": \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        var status = stat()
        let result = String(cString: resolved)
        guard stat(result, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw .unavailable("backup directory \"\(path)\" is not a directory")
        }
        return result
    }

    private static func makeDirectories(_ path: String) throws(EngineError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw .unavailable("cannot create backup directory \"\(prefix)\": \(String(cString: strerror(errno)))")
            }
        }
    }
}
