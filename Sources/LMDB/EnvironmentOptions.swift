/// How commits reach the disk.
public enum Durability: Sendable, Hashable {
    /// Every commit is on disk before `write` returns: LMDB flushes the data pages, then
    /// writes the meta page synchronously (two flushes per commit). An acknowledged write
    /// survives `kill -9`, an OS crash and power loss.
    case sync
    /// `MDB_NOMETASYNC`: each commit flushes its data pages, but the meta page that makes the
    /// commit current is written without waiting for the disk (one flush per commit); it
    /// reaches the disk with the next commit's flush, `Environment.sync(force: true)`, or the
    /// OS's own write-back.
    ///
    /// Guarantee: a process crash (`kill -9`) loses nothing. An OS crash or power loss may
    /// undo the last committed transaction(s) since the last flush, but never corrupts the
    /// file: LMDB's two meta pages mean recovery falls back to the previous intact commit.
    /// `MDB_NOSYNC` was not chosen because without any flush the file's integrity depends on
    /// the filesystem preserving write order, which is not guaranteed.
    case relaxed
}

/// Options for `Environment.init(path:options:)`.
///
/// Sizes are in bytes. The map size is address space, not disk: the data file only grows as
/// pages are written, so a generous `maxMapSize` costs nothing until used.
public struct EnvironmentOptions: Sendable, Hashable {
    /// The map size at open, rounded up to the OS page size. An existing file that had grown
    /// larger opens at its grown size (capped at `maxMapSize`, but never below the data it
    /// holds). Default 64 MiB.
    public var mapSize: Int = 64 << 20
    /// The map never grows past this: a write that would need more fails with
    /// `LMDBError.mapFull`, and the commits before it stay intact. Default 1 TiB.
    public var maxMapSize: Int = 1 << 40
    /// How long a write that filled the map waits for this process's other transactions to
    /// finish so that the map can be grown (growth remaps the file, so no transaction may be
    /// live). Past this the write fails with `mapFull` rather than block indefinitely behind
    /// a long read or `copy(to:)`. Default 60 s.
    public var growthWaitTimeout: Duration = .seconds(60)
    /// `mdb_env_set_maxdbs`: how many named databases may be open. Default 32.
    public var maxDatabases: Int = 32
    /// `mdb_env_set_maxreaders`: concurrent read transactions across all processes. Default 126.
    public var maxReaders: Int = 126
    /// Permission bits of the data and lock files (directories get execute bits added where
    /// read is granted). Default `0o600`: only the owner reads the memory store.
    public var fileMode: UInt32 = 0o600
    /// Commit durability. Default `.sync`.
    public var durability: Durability = .sync
    /// `false` sets `MDB_NOSUBDIR`: `path` names the data file itself (the lock file is
    /// `path + "-lock"`); `true` (default): `path` is a directory holding `data.mdb` and
    /// `lock.mdb`, created if missing.
    public var usesSubdirectory: Bool = true
    /// `MDB_RDONLY`: no writes; `write` fails with `accessDenied`. The environment must exist.
    public var readOnly: Bool = false
    /// `false` sets `MDB_NORDAHEAD`, which helps random reads on databases larger than RAM.
    public var readAhead: Bool = true
    /// Runs `mdb_reader_check` at open to free reader slots of dead processes, which would
    /// otherwise pin old pages and let the file grow. (When no other process has the
    /// environment open, LMDB resets the reader table at open anyway; the check matters when
    /// other processes keep it open.) Default `true`.
    public var checksStaleReadersAtOpen: Bool = true

    public init() {}

    /// Convenience: the common options in one call.
    public init(mapSize: Int = 64 << 20, maxMapSize: Int = 1 << 40, maxDatabases: Int = 32,
                durability: Durability = .sync) {
        self.mapSize = mapSize
        self.maxMapSize = maxMapSize
        self.maxDatabases = maxDatabases
        self.durability = durability
    }
}
