internal import CLMDB
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A read-write transaction, handed to the closure of `Environment.write`.
///
/// Everything it changes becomes visible atomically when the closure returns and the commit
/// succeeds; if the closure throws, nothing does. It reads its own uncommitted changes
/// through the inherited `Transaction` API.
///
/// Keys are 1…511 bytes (`badValueSize` otherwise); values up to 4 GiB. Puts and deletes
/// are O(log n) page touches; large values go to overflow pages.
public final class WriteTransaction: Transaction {
    /// Database handles opened or dropped in this transaction, applied to the environment's
    /// cache only when it commits (LMDB closes them on abort).
    private var openedHere: [Database] = []
    private var droppedHere: [Database] = []

    init(environment: Environment, handle: OpaquePointer) {
        super.init(environment: environment, handle: handle, readOnly: false)
    }

    func publishDatabaseChanges() {
        for db in droppedHere where !openedHere.contains(where: { $0.name == db.name }) { environment.forget(db) }
        for db in openedHere { environment.remember(db) }
    }

    // MARK: databases

    /// Opens or creates a database inside this write, e.g. together with the record that
    /// describes it. The handle may be used in this transaction right away, and everywhere
    /// once it commits; if the transaction aborts, LMDB closes it again.
    public func openDatabase(named name: String?, flags: DatabaseFlags = [], create: Bool = true) throws -> Database {
        let droppedHereByName = droppedHere.contains { $0.name == name }
        if !droppedHereByName, let cached = try environment.cachedDatabase(named: name, flags: flags) { return cached }
        if let pending = openedHere.first(where: { $0.name == name }) {
            guard pending.flags == flags else { throw LMDBError.incompatible.with(context: "mdb_dbi_open(\(name ?? "<main>"))") }
            return pending
        }
        let db = try openDatabaseHandle(named: name, flags: flags, create: create)
        openedHere.append(db)
        return db
    }

    /// Deletes every entry of `db`, keeping the database. O(pages of db).
    public func clear(_ db: Database) throws {
        try check(mdb_drop(try liveHandle(), try dbi(db), 0), "mdb_drop(\(db.name ?? "<main>"), empty)")
    }

    /// Deletes `db` from the environment; its handle (every copy) is invalid after commit.
    /// O(pages of db).
    public func drop(_ db: Database) throws {
        try check(mdb_drop(try liveHandle(), try dbi(db), 1), "mdb_drop(\(db.name ?? "<main>"), delete)")
        droppedHere.append(db)
        openedHere.removeAll { $0.name == db.name }
    }

    // MARK: puts

    /// Stores `value` under `key`, replacing any existing value unless `flags` say otherwise.
    /// - Throws: `keyExist` for `noOverwrite`/`noDupData`/out-of-order `append`;
    ///   `badValueSize` for an empty or over-long key; `mapFull` only if growth failed.
    public func put(_ value: some ContiguousBytes, forKey key: some ContiguousBytes, in db: Database,
                    flags: PutFlags = []) throws {
        let txn = try liveHandle()
        let dbi = try dbi(db)
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                var k = MDB_val(keyBytes)
                var v = MDB_val(valueBytes)
                try check(mdb_put(txn, dbi, &k, &v, flags.rawValue), "mdb_put(\(db.name ?? "<main>"))")
            }
        }
    }

    /// Reserves `count` bytes for `key`'s value and lets `fill` write them in place
    /// (`MDB_RESERVE`), saving a copy for large values. `fill` must write every byte; the
    /// buffer is unaligned and valid only inside `fill`. Not for `dupSort` databases.
    public func put(reserving count: Int, forKey key: some ContiguousBytes, in db: Database, flags: PutFlags = [],
                    _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let txn = try liveHandle()
        let dbi = try dbi(db)
        guard count >= 0 else { throw LMDBError.invalidArgument.with(context: "negative reservation") }
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(keyBytes)
            var v = MDB_val(mv_size: count, mv_data: nil)
            try check(mdb_put(txn, dbi, &k, &v, flags.rawValue | UInt32(MDB_RESERVE)),
                      "mdb_put(\(db.name ?? "<main>"), reserve)")
            try fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
        }
    }

    /// Stores a vector as little-endian float32s (4 bytes each, no header), written straight
    /// into the page. Read it back with `floats(forKey:in:)` or `UnalignedFloat32Buffer`.
    public func put(floats vector: some Collection<Float>, forKey key: some ContiguousBytes, in db: Database,
                    flags: PutFlags = []) throws {
        try put(reserving: vector.count * 4, forKey: key, in: db, flags: flags) { buffer in
            Float32Encoding.store(vector, into: buffer)
        }
    }

    // MARK: deletes

    /// Deletes `key` (with `dupSort`, all its values). Returns `false` if it was absent.
    @discardableResult
    public func delete(_ key: some ContiguousBytes, in db: Database) throws -> Bool {
        let txn = try liveHandle()
        let dbi = try dbi(db)
        return try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(keyBytes)
            let rc = mdb_del(txn, dbi, &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "mdb_del(\(db.name ?? "<main>"))")
            return true
        }
    }

    /// Deletes one key/value pair of a `dupSort` database. Returns `false` if absent.
    @discardableResult
    public func delete(_ key: some ContiguousBytes, value: some ContiguousBytes, in db: Database) throws -> Bool {
        let txn = try liveHandle()
        let dbi = try dbi(db)
        return try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                var k = MDB_val(keyBytes)
                var v = MDB_val(valueBytes)
                let rc = mdb_del(txn, dbi, &k, &v)
                if rc == MDB_NOTFOUND { return false }
                try check(rc, "mdb_del(\(db.name ?? "<main>"), value)")
                return true
            }
        }
    }
}
