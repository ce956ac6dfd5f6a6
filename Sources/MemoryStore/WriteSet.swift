import HNSW
import LMDB

/// The puts and deletes of one logical write, encoded before the LMDB transaction begins.
///
/// `Environment.write` may run its closure again after growing the map, so the closure only
/// replays this list: every side effect outside the transaction (the HNSW batch, encoding,
/// id assignment) happened once, before. Replaying is idempotent.
struct WriteSet {
    enum Operation {
        case put(Database, key: [UInt8], value: [UInt8], flags: PutFlags)
        case delete(Database, key: [UInt8])
    }

    let dbs: Databases
    private(set) var operations: [Operation] = []

    init(_ dbs: Databases) { self.dbs = dbs }

    mutating func put(_ value: [UInt8], key: [UInt8], in db: Database, flags: PutFlags = []) {
        operations.append(.put(db, key: key, value: value, flags: flags))
    }

    mutating func delete(_ key: [UInt8], in db: Database) {
        operations.append(.delete(db, key: key))
    }

    /// Overwrites a record with zeros of its own length before it is deleted or rewritten.
    ///
    /// Why: LMDB deletes a record from a page by moving the records stored below it, so when
    /// it is the page's lowest record its bytes stay in the page's free space, in a live page
    /// that no free-page scrub reaches. A value of the same length is overwritten in place, so
    /// after this the page holds zeros there, whatever the delete moves next.
    mutating func wipe(_ record: RecordWipe) {
        put([UInt8](repeating: 0, count: record.length), key: record.key, in: record.db)
    }

    /// Stores `entry` under its namespace and id.
    mutating func putEntry(_ entry: MemoryEntry, namespace ns: UInt32, new: Bool) throws {
        put(try RecordCodec.encode(entry), key: Keys.entry(ns, entry.id), in: dbs.entries, flags: new ? .noOverwrite : [])
    }

    /// Appends `event` to the log and its two indexes. Sequences only grow, so the log is
    /// written with `append` (which also refuses a sequence that is not past the last).
    mutating func appendAudit(_ event: AuditEvent) throws {
        put(try RecordCodec.encode(event), key: Keys.audit(event.sequence).bytes, in: dbs.audit, flags: .append)
        put([], key: Keys.auditByNamespace(event.namespace, event.sequence), in: dbs.auditByNamespace)
        put([], key: Keys.auditByEntry(event.entryID, event.sequence), in: dbs.auditByEntry)
    }

    /// Rewrites an existing event in place (hard deletes scrub history this way).
    mutating func rewriteAudit(_ event: AuditEvent) throws {
        put(try RecordCodec.encode(event), key: Keys.audit(event.sequence).bytes, in: dbs.audit)
    }

    /// The graph changes of an HNSW batch: final node records (a freed slot loses its record
    /// and vector), the vectors written, and the graph state.
    mutating func addGraphDelta(_ delta: HNSWDelta, namespace ns: UInt32) {
        for record in delta.nodes {
            let key = Keys.slot(ns, record.slot)
            if record.state == .free {
                delete(key, in: dbs.nodes)
                delete(key, in: dbs.vectors)
            } else {
                put(record.encoded(), key: key, in: dbs.nodes)
            }
        }
        for stored in delta.vectors {
            put(VectorCodec.encode(stored.vector), key: Keys.slot(ns, stored.slot), in: dbs.vectors)
        }
        put(delta.state.encoded(), key: Keys.namespace(ns), in: dbs.graphState)
    }

    /// Replays the operations in `txn`.
    func apply(_ txn: WriteTransaction) throws {
        for operation in operations {
            switch operation {
            case .put(let db, let key, let value, let flags):
                try txn.put(value, forKey: key, in: db, flags: flags)
            case .delete(let db, let key):
                try txn.delete(key, in: db)
            }
        }
    }
}

extension MemoryStore {
    /// Commits `set` and the counters in one transaction, after checking that the counters
    /// are still those the write was prepared from (they change only under `writeLock`, so a
    /// difference means another process writes this store, which `ProcessLock` prevents).
    /// Precondition: `writeLock` held. Nothing may throw after this returns.
    func commit(_ set: WriteSet, from counters: Counters, to next: Counters) throws {
        do {
            try env.write { txn in
                guard try Counters.read(txn, dbs) == counters else {
                    throw MemoryStoreError.corrupt("meta counters changed during a write: another process writes this store")
                }
                try set.apply(txn)
                if next != counters { try next.write(txn, dbs) }
                if let logSequence = LogPosition.applying { try LogPosition.write(logSequence, txn, dbs) }
            }
        } catch let error as LMDBError {
            // A full disk surfaces as EIO from a short page write: report it as what it is.
            throw DiskSpace.explaining(error, at: path)
        }
    }

    /// The counters as last committed. Precondition: `writeLock` held.
    func currentCounters() throws -> Counters {
        try env.read { try Counters.read($0, dbs) }
    }
}

/// A record a hard delete zeroes before removing it (``WriteSet/wipe(_:)``).
struct RecordWipe {
    var db: Database
    var key: [UInt8]
    var length: Int
}
