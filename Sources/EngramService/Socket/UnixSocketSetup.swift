#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Taking the Unix socket path safely, around Hummingbird's own bind. Public because
/// engram-prompt (PromptAssembly) takes its own socket with the same procedure; the "daemon"
/// below is whichever service owns the socket.
///
/// Hummingbird binds with `cleanupExistingSocketFile: true`, which would delete a live
/// daemon's socket, and the file `bind` creates carries the umask's mode until someone chmods
/// it. So the daemon never lets Hummingbird bind the public path:
///
/// 1. ``prepare(path:mode:)`` creates the parent directory, takes an exclusive `flock` on
///    `<path>.lock` (closing the race between two daemons starting at once), refuses if the path
///    is a live socket (a `connect` succeeds) or not a socket at all, and removes a stale one.
/// 2. Hummingbird binds a private name, `<path>.<pid>.bind`, in the same directory.
/// 3. ``publish()`` — called once the listener is bound, before the path exists — chmods the
///    private name to the configured mode and renames it onto the public path. Rename is atomic,
///    so no client can ever connect to the socket with the wrong permissions.
/// 4. ``remove()`` on shutdown unlinks the public path if it is still the file we published
///    (same device and inode), then releases the lock.
///
/// A final class because the lock descriptor and published inode are shared by the server's
/// callbacks; the Mutex protects them.
public final class UnixSocketSetup: Sendable {
    /// The public socket path clients connect to.
    public let path: String
    /// Permission bits (e.g. `0o660`) applied to the socket before it appears at ``path``.
    public let mode: UInt32
    /// Where Hummingbird binds before ``publish()`` renames it onto ``path``.
    public let bindPath: String

    private struct State {
        var lockFD: Int32 = -1
        var published: (dev: UInt64, ino: UInt64)?
    }
    private let state = Mutex(State())

    private init(path: String, mode: UInt32, lockFD: Int32) {
        self.path = path
        self.mode = mode
        self.bindPath = "\(path).\(getpid()).bind"
        state.withLock { $0.lockFD = lockFD }
    }

    deinit {
        let fd = state.withLock { $0.lockFD }
        if fd >= 0 { close(fd) }
    }

    /// Steps 1 and the cleanup of any leftover private name; see the type's documentation.
    /// The returned value holds the lock until ``remove()`` (or deinit): keep it for the
    /// listener's lifetime.
    /// - Throws: ``SocketError`` `inUse`, `locked`, `notASocket` or `system`; the descriptions
    ///   name engramd, so another service may map them to its own wording.
    public static func prepare(path: String, mode: UInt32) throws(SocketError) -> UnixSocketSetup {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
            } catch {
                throw .system(operation: "creating the directory of", path: path, errno: errno == 0 ? EACCES : errno)
            }
        }
        if let live = try probe(path: path), live { throw .inUse(path: path) }

        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(operation: "open", path: lockPath, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw .locked(path: path) }
            throw .system(operation: "flock", path: lockPath, errno: code)
        }
        let setup = UnixSocketSetup(path: path, mode: mode, lockFD: fd)
        // Holding the lock: check again (a daemon may have published between the probe and the
        // lock), then clear a stale socket and any private name a crashed run left behind.
        if let live = try probe(path: path) {
            if live { throw .inUse(path: path) }
            if unlink(path) != 0, errno != ENOENT { throw .system(operation: "unlink", path: path, errno: errno) }
        }
        unlink(setup.bindPath)
        return setup
    }

    /// nil: nothing at `path`; true: a listening socket; false: a socket nobody listens on.
    static func probe(path: String) throws(SocketError) -> Bool? {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            throw .system(operation: "lstat", path: path, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path: path) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(operation: "socket for", path: path, errno: errno) }
        defer { close(fd) }
        var address = sockaddr_un()
        guard fillAddress(&address, path: path) else { throw .system(operation: "connect", path: path, errno: ENAMETOOLONG) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return true }
        switch errno {
        case ECONNREFUSED, ENOENT: return false
        case EAGAIN: return true  // listening, backlog full
        default: throw .system(operation: "connect", path: path, errno: errno)
        }
    }

    /// Copies `path` into `sun_path`; false if it does not fit.
    static func fillAddress(_ address: inout sockaddr_un, path: String) -> Bool {
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return true
    }

    /// Step 3: chmod the bound private name, then rename it onto the public path.
    public func publish() throws(SocketError) {
        if chmod(bindPath, mode_t(mode)) != 0 { throw .system(operation: "chmod", path: bindPath, errno: errno) }
        if rename(bindPath, path) != 0 { throw .system(operation: "rename onto", path: path, errno: errno) }
        var info = stat()
        if lstat(path, &info) == 0 {
            state.withLock { $0.published = (UInt64(info.st_dev), UInt64(info.st_ino)) }
        }
    }

    /// Step 4: unlink the socket we published (never a successor's) and release the lock.
    public func remove() {
        let (published, fd) = state.withLock { state in
            defer { state.published = nil; state.lockFD = -1 }
            return (state.published, state.lockFD)
        }
        unlink(bindPath)
        if let published {
            var info = stat()
            if lstat(path, &info) == 0, UInt64(info.st_dev) == published.dev, UInt64(info.st_ino) == published.ino {
                unlink(path)
            }
        }
        if fd >= 0 { close(fd) }
    }
}

