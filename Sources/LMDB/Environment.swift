internal import CLMDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open LMDB environment: one memory-mapped data file holding named databases.
///
/// Open one `Environment` per path per process and share it (it is `Sendable`). LMDB forbids
/// opening the same file twice in one process (closing either copy would drop the other's
/// POSIX locks, and other processes could then reclaim its live reader slots), so a second
/// open of the same path throws `LMDBError.busy` until the first is closed. The environment
/// closes when the last reference goes away (`deinit` calls `mdb_env_close`); transactions
/// retain it, so it cannot close under a live transaction.
///
/// Work happens in closure-scoped transactions:
/// ```swift
/// let env = try Environment(path: dir)
/// let entries = try env.openDatabase(named: "entries")
/// try env.write { txn in try txn.put(value, forKey: UInt64Key(7), in: entries) }
/// let bytes = try env.read { txn in try txn.get(UInt64Key(7), in: entries) }
/// ```
/// Reads run in parallel with each other and with one writer; writers in this process are
/// serialised by a `Mutex` (and across processes by LMDB's own lock). Closures are
/// synchronous: a transaction never spans an `await`, and a blocked writer blocks its thread,
/// so heavy write contention belongs on a dedicated thread rather than the cooperative pool.
///
/// The map grows by itself when a write fills it (see `write(_:)` and MapGrowth.swift).
public final class Environment: @unchecked Sendable {
    // @unchecked Sendable: `handle` is set once; LMDB's env is safe to use from many threads
    // with MDB_NOTLS for beginning transactions. What is not thread-safe is protected:
    // map resizes run under `gate`'s exclusive side while every transaction, `info()` and
    // `copy` hold its shared side; write transactions and `mdb_dbi_open` run under
    // `writerLock`; the database-handle cache is a `Mutex`; `isDefunct` is atomic.
    let handle: OpaquePointer
    let gate = TransactionGate()
    let writerLock = Mutex<Void>(())
    let openedDatabases = Mutex<[String: Database]>([:])
    let isDefunct = Atomic<Bool>(false)
    let osPageSize: Int
    /// This environment's entry in `OpenEnvironments`.
    let registryKey: String

    /// The path given at open.
    public let path: String
    /// The options given at open.
    public let options: EnvironmentOptions
    /// Reader slots of dead processes freed by the stale-reader check at open (0 if disabled).
    public let staleReadersClearedAtOpen: Int

    /// Opens (creating if needed, unless `readOnly`) the environment at `path`.
    ///
    /// Always sets `MDB_NOTLS`: reader slots belong to transactions, not OS threads, which is
    /// what lets many reads run on Swift's thread pool and a thread hold a read and a write.
    ///
    /// After `mdb_env_open` the wrapper checks that the data file is at least as long as its
    /// meta page claims; a truncated file would otherwise fault (SIGBUS) on first access, so
    /// it throws `LMDBError.corrupted` instead. A file that is not LMDB throws `invalid`, one
    /// from another format version `versionMismatch`. Note that LMDB treats an *empty*
    /// (0-byte) data file as a new environment.
    ///
    /// - Throws: `LMDBError` from any step; nothing is left open on failure.
    public init(path: String, options: EnvironmentOptions = EnvironmentOptions()) throws {
        self.path = path
        self.options = options
        let page = sysconf(Int32(_SC_PAGESIZE))
        self.osPageSize = page > 0 ? page : 4096

        var env: OpaquePointer?
        var dead: Int32 = 0
        var registryKey: String?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError.invalidArgument.with(context: "mdb_env_create") }
        do {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(clamping: options.maxDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, UInt32(clamping: options.maxReaders)), "mdb_env_set_maxreaders")
            let initial = Self.roundUp(min(max(options.mapSize, osPageSize), max(options.maxMapSize, osPageSize)),
                                       to: osPageSize)
            try check(mdb_env_set_mapsize(env, initial), "mdb_env_set_mapsize")

            var flags = UInt32(MDB_NOTLS)
            if !options.usesSubdirectory { flags |= UInt32(MDB_NOSUBDIR) }
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if !options.readAhead { flags |= UInt32(MDB_NORDAHEAD) }
            if options.durability == .relaxed { flags |= UInt32(MDB_NOMETASYNC) }

            if options.usesSubdirectory && !options.readOnly {
                try Self.makeDirectory(path, fileMode: options.fileMode)
            }
            registryKey = try OpenEnvironments.register(path: path, usesSubdirectory: options.usesSubdirectory)
            try check(mdb_env_open(env, path, flags, mode_t(options.fileMode)), "mdb_env_open(\(path))")
            try Self.verifyFileLength(env)
            try Self.adoptStoredMapSize(env, configured: initial,
                                        limit: Self.roundUp(max(options.maxMapSize, osPageSize), to: osPageSize))
            if options.checksStaleReadersAtOpen {
                try check(mdb_reader_check(env, &dead), "mdb_reader_check")
            }
        } catch {
            mdb_env_close(env)
            if let registryKey { OpenEnvironments.unregister(registryKey) }
            throw error
        }
        self.handle = env
        self.registryKey = registryKey!
        self.staleReadersClearedAtOpen = Int(dead)
    }

    deinit {
        mdb_env_close(handle)
        OpenEnvironments.unregister(registryKey)
    }

    // MARK: transactions

    /// Runs `body` in a read-only transaction: one consistent snapshot of the last commit.
    ///
    /// Values read are valid only inside `body`; the copying getters return owned arrays.
    /// Reads may nest (a read inside a read or a write begins its own snapshot). A read inside
    /// a write closure sees the last *committed* state, not the write's changes; to see those,
    /// read through the `WriteTransaction` itself (it is a `Transaction`).
    ///
    /// Precondition: `body` must not wait for another thread that begins a transaction on this
    /// environment while a map resize is pending; the resize would wait for this read (it
    /// gives up after `growthWaitTimeout`).
    ///
    /// - Complexity: O(1) to begin and end (a reader-table slot), plus `body`.
    @discardableResult
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        let raw = try beginTransaction(flags: UInt32(MDB_RDONLY))
        let txn = Transaction(environment: self, handle: raw, readOnly: true)
        defer {
            txn.end(commit: false)
            gate.exitShared()
        }
        return try body(txn)
    }

    /// Runs `body` in a write transaction that commits when `body` returns and aborts when it
    /// throws (then nothing of it is visible anywhere, and the error is rethrown).
    ///
    /// Writers in this process are serialised by a `Mutex`; `write` inside a `write` closure
    /// on the same thread throws `LMDBError.wouldDeadlock` instead of hanging. A `write`
    /// inside a `read` closure works, but cannot grow the map (its own read pins the mapping)
    /// and may wait up to `growthWaitTimeout` behind another writer that is growing it.
    ///
    /// **Map growth:** when the map is full (`MDB_MAP_FULL` from a put, a delete or the
    /// commit), the transaction is aborted, the map grows (doubling, up to
    /// `maxMapSize`) once all of this process's transactions have ended, and **`body` runs
    /// again** from the start. So `body` must only change the transaction, or make its
    /// outside side effects idempotent; apply in-memory changes after `write` returns. When
    /// the map is at `maxMapSize`, or growth cannot happen (this thread holds a read, or other
    /// transactions outlast `growthWaitTimeout`), `write` throws `LMDBError.mapFull` and the
    /// earlier commits are intact. Catching `mapFull` inside `body` does not prevent this:
    /// LMDB has already marked the transaction failed.
    ///
    /// Durability: with `.sync` the commit is on disk when `write` returns; see `Durability`.
    ///
    /// - Complexity: `body` plus the commit, which flushes the dirty pages (one or two
    ///   `fdatasync`s depending on `durability`).
    @discardableResult
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        if gate.isWritingOnCurrentThread {
            throw LMDBError.wouldDeadlock.with(
                context: "write inside a write closure of the same environment; use the outer WriteTransaction")
        }
        var outcome: Result<R, any Error>?
        writerLock.withLock { _ in
            gate.isWritingOnCurrentThread = true
            defer { gate.isWritingOnCurrentThread = false }
            outcome = Result { try performWrite(body) }
        }
        return try outcome!.get()
    }

    /// The write loop: begin, run, commit; on a full map abort, grow and run again.
    /// Runs with `writerLock` held.
    private func performWrite<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        while true {
            let raw = try beginTransaction(flags: 0)
            let txn = WriteTransaction(environment: self, handle: raw)
            let result: R
            do {
                result = try body(txn)
            } catch {
                let mapWasFull = txn.sawMapFull
                txn.end(commit: false)
                gate.exitShared()
                if mapWasFull {
                    try growMap()
                    continue
                }
                throw error
            }
            if txn.sawMapFull {
                txn.end(commit: false)
                gate.exitShared()
                try growMap()
                continue
            }
            let rc = txn.end(commit: true)
            gate.exitShared()
            if rc == MDB_MAP_FULL {
                try growMap()
                continue
            }
            try check(rc, "mdb_txn_commit")
            txn.publishDatabaseChanges()
            return result
        }
    }

    /// Begins a transaction holding a shared gate entry (the caller must `exitShared`).
    /// Adopts a map grown by another process (`MDB_MAP_RESIZED`) and retries.
    func beginTransaction(flags: UInt32) throws -> OpaquePointer {
        var adoptions = 0
        while true {
            if isDefunct.load(ordering: .acquiring) {
                throw LMDBError.panic.with(context: "environment unusable after a failed map resize; reopen it")
            }
            gate.enterShared()
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(handle, nil, flags, &txn)
            if rc == MDB_SUCCESS, let txn { return txn }
            gate.exitShared()
            if rc == MDB_MAP_RESIZED && adoptions < 8 {
                // Bounded: another process may keep growing the file between our attempts.
                adoptions += 1
                try adoptMapSizeFromFile()
                continue
            }
            throw LMDBError(code: rc, context: flags & UInt32(MDB_RDONLY) != 0
                            ? "mdb_txn_begin(read)" : "mdb_txn_begin(write)")
        }
    }
}
