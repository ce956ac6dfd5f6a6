#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. The mapping lives exactly as long as this object:
/// `deinit` unmaps it, so anything that hands out pointers into the mapping keeps a strong
/// reference to its `MappedFile`.
///
/// Mapping rather than reading means a 90 MB model costs no copy and no heap growth: pages
/// come from the page cache on first touch and are shared between processes that map the
/// same file.
///
/// `@unchecked Sendable`: every stored property is immutable after `init`, the mapping is
/// `PROT_READ` (nobody can write through it), and it is unmapped only in `deinit`, when no
/// other reference exists. Concurrent readers therefore need no lock.
public final class MappedFile: @unchecked Sendable {
    /// The first byte of the mapping (`nil` for an empty file, which is not mapped).
    public let base: UnsafeRawPointer?
    /// The file's length in bytes at the time it was mapped.
    public let count: Int
    /// The path the file was opened from, for error messages.
    public let path: String

    /// Opens and maps `path`. O(1) apart from the system calls; no file data is read here.
    /// - Throws: ``SafeTensorsError/cannotOpen(path:reason:code:)`` when the file cannot be
    ///   opened, inspected or mapped, with the `errno` of the failing call (so that callers can
    ///   tell a missing file, `ENOENT`, from one they may not read).
    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFile.systemError(path: path, call: "open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw MappedFile.systemError(path: path, call: "fstat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file", code: 0)
        }
        let size = Int(info.st_size)
        count = size
        if size == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else { throw MappedFile.systemError(path: path, call: "mmap") }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The mapped bytes. Valid while `self` is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// The error for a system call that just failed. Must be called before anything else
    /// can change `errno` (the deferred `close` included); `strerror_r` because `strerror`'s
    /// buffer is shared between threads.
    private static func systemError(path: String, call: String) -> SafeTensorsError {
        let code = errno
        var buffer = [CChar](repeating: 0, count: 256)
        let text = strerror_r(code, &buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : "error \(code)"
        return .cannotOpen(path: path, reason: "\(call): \(text)", code: code)
    }
}
