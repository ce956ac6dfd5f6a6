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
    /// `true` (default): each index keeps its float vectors in memory beside its links and
    /// codes. `false`: the indexes of quantized namespaces (int8, int4) keep only links and codes, and read
    /// the float vectors from the store's memory map when they need exact distances (re-ranking
    /// a search's candidates, choosing an insertion's links, exact scans): a fraction of the
    /// memory, with searches slower by one B-tree lookup per re-ranked candidate
    /// (docs/performance.md#vectors-in-the-store). Float-traversal namespaces
    /// (`quantization: none`) keep their vectors either way.
    public var vectorsInMemory = true

    public init(durability: Durability = .sync, mapSize: Int = 64 << 20, maxMapSize: Int = 1 << 40) {
        self.durability = durability
        self.mapSize = mapSize
        self.maxMapSize = maxMapSize
    }
}
