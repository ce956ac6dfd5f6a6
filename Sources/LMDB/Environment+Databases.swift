internal import CLMDB
import Synchronization

/// Opening databases and caching their handles.
extension Environment {
    // MARK: databases

    /// Opens (or with `create`, creates) the database `name` — `nil` is the unnamed main
    /// database — and returns its handle. Handles are cached: opening the same name again
    /// returns the same handle without a transaction.
    ///
    /// Named databases are stored as keys of the main database, so do not also put your own
    /// keys in the main database when you use named ones.
    ///
    /// Must not be called inside a `write` closure (throws `wouldDeadlock`); use
    /// `WriteTransaction.openDatabase` there. `flags` must match those the database was
    /// created with, else `LMDBError.incompatible`.
    ///
    /// - Throws: `notFound` if it does not exist and `create` is false; `databasesFull` past
    ///   `maxDatabases`.
    public func openDatabase(named name: String?, flags: DatabaseFlags = [], create: Bool = true) throws -> Database {
        if let cached = try cachedDatabase(named: name, flags: flags) { return cached }
        if options.readOnly || !create {
            // mdb_dbi_open must not run concurrently with itself: take the writer lock.
            if gate.isWritingOnCurrentThread {
                throw LMDBError.wouldDeadlock.with(context: "openDatabase inside a write closure; use txn.openDatabase")
            }
            return try writerLock.withLock { _ throws -> Database in
                let raw = try beginTransaction(flags: UInt32(MDB_RDONLY))
                let txn = Transaction(environment: self, handle: raw, readOnly: true)
                defer { gate.exitShared() }
                let db: Database
                do {
                    db = try txn.openDatabaseHandle(named: name, flags: flags, create: false)
                } catch {
                    txn.end(commit: false)
                    throw error
                }
                // A handle opened in a read transaction survives only if it commits.
                try check(txn.end(commit: true), "mdb_txn_commit(open database)")
                remember(db)
                return db
            }
        }
        return try write { txn in try txn.openDatabase(named: name, flags: flags, create: true) }
    }

    func cachedDatabase(named name: String?, flags: DatabaseFlags) throws -> Database? {
        guard let cached = openedDatabases.withLock({ $0[Database.cacheKey(name)] }) else { return nil }
        guard cached.flags == flags else {
            throw LMDBError.incompatible.with(
                context: "database \(name ?? "<main>") is open with flags \(cached.flags.rawValue), asked \(flags.rawValue)")
        }
        return cached
    }

    func remember(_ db: Database) {
        openedDatabases.withLock { $0[Database.cacheKey(db.name)] = db }
    }

    func forget(_ db: Database) {
        openedDatabases.withLock { _ = $0.removeValue(forKey: Database.cacheKey(db.name)) }
    }
}
