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
}
