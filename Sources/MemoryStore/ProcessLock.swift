#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<store>/engram.lock`, held while the store is open.
///
/// One process owns a store because it holds the in-memory index: a second writer process
/// would commit entries its index never sees. LMDB's own locks allow many processes, so this
/// lock refuses the second one. The kernel drops it when the process dies (`kill -9`
/// included), so a crashed daemon never leaves a stale lock behind. The descriptor is
/// `O_CLOEXEC`; a child made by `fork` without `exec` shares the lock until it exits or closes
/// the descriptor.
final class ProcessLock: Sendable {
    private let fd: Int32

    init(directory: String, fileMode: UInt32) throws {
        let path = directory + "/engram.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(fileMode))
        guard fd >= 0 else { throw MemoryStoreError.locked("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another process (or another MemoryStore in this one) holds \(path)"
                                              : String(cString: strerror(errno))
            close(fd)
            throw MemoryStoreError.locked(reason)
        }
        self.fd = fd
    }

    /// The lock of the store in `path`, for the offline operations that read or rewrite its
    /// files without opening it (compact's swap, salvage, the page check).
    convenience init(store path: String) throws {
        try self.init(directory: path, fileMode: MemoryStoreOptions().fileMode)
    }

    deinit {
        close(fd)  // releases the flock
    }
}
