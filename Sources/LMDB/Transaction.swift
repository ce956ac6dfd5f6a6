internal import CLMDB
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A transaction, handed to the closure of `Environment.read` or `Environment.write`.
///
/// It is valid only while that closure runs: afterwards every call throws
/// `LMDBError.badTransaction`, so a leaked reference cannot touch freed LMDB state. It is not
/// `Sendable`; use it on the thread that runs the closure.
///
/// Reading API lives here and works on both kinds of transaction, so helpers written as
/// `func load(_ txn: Transaction)` serve reads and writes alike (a `WriteTransaction` is a
/// `Transaction` and sees its own uncommitted changes).
///
/// Values come out two ways: copying getters (`get`, `floats`, scans returning `KeyValue`)
/// return owned arrays that outlive the transaction; borrowing ones (`withValue`, `forEach`,
/// `Cursor.withCurrent`) pass an `UnsafeRawBufferPointer` into the map, valid only inside the
/// body and with no alignment guarantee (use `loadUnaligned`, `UnalignedFloat32Buffer`).
public class Transaction {
    /// The environment this transaction belongs to.
    public let environment: Environment
    /// `true` for transactions from `read`.
    public let isReadOnly: Bool
    /// Live LMDB handle; `nil` once the transaction has ended.
    var handle: OpaquePointer?
    /// Set when any call returned `MDB_MAP_FULL`: LMDB has then marked the transaction
    /// failed, and the write loop grows the map and retries whatever the closure did.
    var sawMapFull = false

    init(environment: Environment, handle: OpaquePointer, readOnly: Bool) {
        self.environment = environment
        self.handle = handle
        self.isReadOnly = readOnly
    }

    /// Commits or aborts (once); later calls do nothing. Returns the commit's return code.
    @discardableResult
    func end(commit: Bool) -> Int32 {
        guard let live = handle else { return MDB_SUCCESS }
        handle = nil
        if commit { return mdb_txn_commit(live) }
        mdb_txn_abort(live)
        return MDB_SUCCESS
    }

    /// The live handle, or `badTransaction` if the closure has returned.
    func liveHandle() throws(LMDBError) -> OpaquePointer {
        guard let handle else {
            throw LMDBError.badTransaction.with(context: "transaction used after its closure returned")
        }
        return handle
    }

    /// The dbi of `db`, after checking it belongs to this environment.
    func dbi(_ db: Database) throws(LMDBError) -> MDB_dbi {
        guard db.environmentID == ObjectIdentifier(environment) else {
            throw LMDBError.badDatabase.with(context: "database \(db.name ?? "<main>") belongs to another environment")
        }
        return db.dbi
    }

    /// Turns a nonzero return code into an error, remembering `MDB_MAP_FULL`.
    func check(_ rc: Int32, _ context: @autoclosure () -> String) throws(LMDBError) {
        guard rc != MDB_SUCCESS else { return }
        if rc == MDB_MAP_FULL { sawMapFull = true }
        throw LMDBError(code: rc, context: context())
    }

    // MARK: identity and statistics

    /// LMDB's transaction ID: for a read, the ID of the snapshot's commit.
    public func id() throws -> Int {
        Int(mdb_txn_id(try liveHandle()))
    }

    /// B-tree statistics of `db` as this transaction sees it. O(1).
    public func statistics(of db: Database) throws -> DatabaseStatistics {
        let txn = try liveHandle()
        var stat = MDB_stat()
        try check(mdb_stat(txn, try dbi(db), &stat), "mdb_stat(\(db.name ?? "<main>"))")
        return DatabaseStatistics(stat)
    }

    /// Number of entries in `db` (with `dupSort`, every value counts). O(1).
    public func count(in db: Database) throws -> Int {
        try statistics(of: db).entries
    }

    // MARK: point reads

    /// Calls `body` with the value stored under `key`, borrowed from the map; returns `nil`
    /// (without calling `body`) if there is none. The buffer is valid only inside `body` and
    /// not aligned (a value follows its key at any byte offset). O(log n).
    public func withValue<R>(forKey key: some ContiguousBytes, in db: Database,
                             _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        let txn = try liveHandle()
        let dbi = try dbi(db)
        return try key.withUnsafeBytes { keyBytes -> R? in
            var k = MDB_val(keyBytes)
            var v = MDB_val()
            let rc = mdb_get(txn, dbi, &k, &v)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "mdb_get(\(db.name ?? "<main>"))")
            return try body(UnsafeRawBufferPointer(v))
        }
    }

    /// The value stored under `key`, copied, or `nil`. O(log n + value size).
    public func get(_ key: some ContiguousBytes, in db: Database) throws -> [UInt8]? {
        try withValue(forKey: key, in: db) { Array($0) }
    }

    /// Whether `key` has a value. O(log n).
    public func contains(_ key: some ContiguousBytes, in db: Database) throws -> Bool {
        try withValue(forKey: key, in: db) { _ in true } ?? false
    }

    /// The value under `key` decoded as little-endian float32s (see `Float32.swift`), or `nil`.
    /// - Throws: `badValueSize` if the value's length is not a multiple of 4.
    public func floats(forKey key: some ContiguousBytes, in db: Database) throws -> [Float]? {
        try withValue(forKey: key, in: db) { bytes throws -> [Float] in
            guard let vector = [Float](float32Bytes: bytes) else {
                throw LMDBError.badValueSize.with(context: "value of \(bytes.count) bytes is not a float32 vector")
            }
            return vector
        }
    }

    /// Compares two keys with `db`'s ordering (`mdb_cmp`): negative, zero or positive.
    public func compare(_ a: some ContiguousBytes, _ b: some ContiguousBytes, in db: Database) throws -> Int {
        let txn = try liveHandle()
        let dbi = try dbi(db)
        return a.withUnsafeBytes { ab in
            b.withUnsafeBytes { bb in
                var x = MDB_val(ab)
                var y = MDB_val(bb)
                return Int(mdb_cmp(txn, dbi, &x, &y))
            }
        }
    }

    // MARK: cursors

    /// Runs `body` with a cursor on `db`, closed when `body` returns; the cursor must not be
    /// used afterwards (calls then throw `badTransaction`).
    public func withCursor<R>(on db: Database, _ body: (Cursor) throws -> R) throws -> R {
        let txn = try liveHandle()
        var raw: OpaquePointer?
        try check(mdb_cursor_open(txn, try dbi(db), &raw), "mdb_cursor_open(\(db.name ?? "<main>"))")
        guard let raw else { throw LMDBError.invalidArgument.with(context: "mdb_cursor_open returned no cursor") }
        let cursor = Cursor(transaction: self, handle: raw, database: db)
        defer { cursor.close() }
        return try body(cursor)
    }

    // MARK: database handles

    /// `mdb_dbi_open` in this transaction. Precondition: the caller serialises `mdb_dbi_open`
    /// (writer lock) and publishes the handle only once the transaction commits.
    func openDatabaseHandle(named name: String?, flags: DatabaseFlags, create: Bool) throws -> Database {
        let txn = try liveHandle()
        var dbi: MDB_dbi = 0
        let openFlags = flags.rawValue | (create ? UInt32(MDB_CREATE) : 0)
        let rc: Int32
        if let name {
            rc = name.withCString { mdb_dbi_open(txn, $0, openFlags, &dbi) }
        } else {
            rc = mdb_dbi_open(txn, nil, openFlags, &dbi)
        }
        try check(rc, "mdb_dbi_open(\(name ?? "<main>"))")
        var stored: UInt32 = 0
        try check(mdb_dbi_flags(txn, dbi, &stored), "mdb_dbi_flags")
        let actual = DatabaseFlags(rawValue: stored).intersection(.all)
        guard actual == flags else {
            throw LMDBError.incompatible.with(
                context: "database \(name ?? "<main>") has flags \(actual.rawValue), opened with \(flags.rawValue)")
        }
        return Database(name: name, flags: actual, dbi: dbi, environment: environment)
    }
}

/// Transactions belong to the closure (and thread) that received them.
@available(*, unavailable)
extension Transaction: Sendable {}

extension DatabaseFlags {
    /// Every flag the wrapper exposes; masks out LMDB's internal bits from `mdb_dbi_flags`.
    static let all: DatabaseFlags = [.reverseKey, .dupSort, .integerKey, .dupFixed, .integerDup, .reverseDup]
}

extension MDB_val {
    /// A view of `bytes` for LMDB; LMDB only reads through it for keys and put values.
    init(_ bytes: UnsafeRawBufferPointer) {
        self.init(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes an `MDB_val` returned by LMDB points at.
    init(_ value: MDB_val) {
        self.init(start: value.mv_data, count: value.mv_size)
    }
}
