public import LMDB

/// Options of `MemoryStore.init(path:options:)`.
public struct MemoryStoreOptions: Sendable, Hashable {
    /// `.sync` (default): every acknowledged write is on disk. `.relaxed`: a process crash
    /// loses nothing, a power loss may lose the last commits, never corrupts (see
    /// `LMDB.Durability`).
    public var durability: Durability = .sync
    /// Map size at open; it grows by doubling on demand. Default 64 MiB.
    public var mapSize: Int = 64 << 20
    /// The data file never grows past this: a write that would need more throws
    /// `LMDBError.mapFull` and changes nothing. Default 1 TiB (address space, not disk).
    public var maxMapSize: Int = 1 << 40
    /// Permission bits of the files. Default `0o600`.
    public var fileMode: UInt32 = 0o600
    /// `true` (default): open restores every namespace's graph. `false`: open reads only the
    /// namespace records, for a store whose graph records are damaged (restoring them would
    /// fail): `verify()` then checks everything but the in-memory graphs, and
    /// `rebuildIndex(namespace:)` rebuilds a graph from the entries and vectors, after which
    /// that namespace works normally. Until then its searches and writes are refused.
    public var loadIndexes = true

    public init(durability: Durability = .sync, mapSize: Int = 64 << 20, maxMapSize: Int = 1 << 40) {
        self.durability = durability
        self.mapSize = mapSize
        self.maxMapSize = maxMapSize
    }
}
