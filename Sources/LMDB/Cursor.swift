internal import CLMDB
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A position in one database, from `Transaction.withCursor(on:_:)`.
///
/// Moves return the entry they land on, copied, or `nil` when there is none (end of the
/// database, key absent). `withCurrent` borrows the current entry without copying.
/// Every move is O(log n) for a seek and amortised O(1) for next/previous.
/// Valid only inside the `withCursor` closure; afterwards calls throw `badTransaction`.
public final class Cursor {
    /// The transaction this cursor reads (and for write transactions, writes) through.
    public let transaction: Transaction
    /// The database it walks.
    public let database: Database
    private var handle: OpaquePointer?

    init(transaction: Transaction, handle: OpaquePointer, database: Database) {
        self.transaction = transaction
        self.handle = handle
        self.database = database
    }

    func close() {
        if let handle { mdb_cursor_close(handle) }
        handle = nil
    }

    private func liveHandle() throws(LMDBError) -> OpaquePointer {
        guard let handle, transaction.handle != nil else {
            throw LMDBError.badTransaction.with(context: "cursor used after its closure returned")
        }
        return handle
    }

    /// One `mdb_cursor_get`; `nil` on `MDB_NOTFOUND`. The returned buffers point into the map.
    func move(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil)
        throws(LMDBError) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        let cursor = try liveHandle()
        var k = key.map { MDB_val($0) } ?? MDB_val()
        var v = MDB_val()
        let rc = mdb_cursor_get(cursor, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try transaction.check(rc, "mdb_cursor_get(\(op.rawValue))")
        return (UnsafeRawBufferPointer(k), UnsafeRawBufferPointer(v))
    }

    private func copied(_ op: MDB_cursor_op) throws -> KeyValue? {
        try move(op).map { KeyValue(key: Array($0.key), value: Array($0.value)) }
    }

    private func copied(_ op: MDB_cursor_op, key: some ContiguousBytes) throws -> KeyValue? {
        try key.withUnsafeBytes { bytes in
            try move(op, key: bytes).map { KeyValue(key: Array($0.key), value: Array($0.value)) }
        }
    }

    // MARK: moves

    /// The first entry (smallest key). `MDB_FIRST`.
    public func first() throws -> KeyValue? { try copied(MDB_FIRST) }
    /// The last entry (largest key). `MDB_LAST`.
    public func last() throws -> KeyValue? { try copied(MDB_LAST) }
    /// The next entry (with `dupSort`, the next value). `MDB_NEXT`; from an unpositioned
    /// cursor this is the first entry.
    public func next() throws -> KeyValue? { try copied(MDB_NEXT) }
    /// The previous entry. `MDB_PREV`; from an unpositioned cursor this is the last entry.
    public func previous() throws -> KeyValue? { try copied(MDB_PREV) }
    /// The entry at the cursor. `MDB_GET_CURRENT`.
    public func current() throws -> KeyValue? { try copied(MDB_GET_CURRENT) }
    /// The first entry whose key is ≥ `key` in the database's order. `MDB_SET_RANGE`.
    public func seek(atLeast key: some ContiguousBytes) throws -> KeyValue? { try copied(MDB_SET_RANGE, key: key) }
    /// The entry whose key equals `key`, or `nil`. `MDB_SET_KEY`.
    public func seek(exactly key: some ContiguousBytes) throws -> KeyValue? { try copied(MDB_SET_KEY, key: key) }
    /// `dupSort`: the next value of the current key, or `nil` after its last. `MDB_NEXT_DUP`.
    public func nextDuplicate() throws -> KeyValue? { try copied(MDB_NEXT_DUP) }
    /// `dupSort`: the first entry of the next key. `MDB_NEXT_NODUP`.
    public func nextKey() throws -> KeyValue? { try copied(MDB_NEXT_NODUP) }

    /// Calls `body` with the current key and value borrowed from the map (unaligned,
    /// valid only inside `body`); `nil` if the cursor is not on an entry.
    public func withCurrent<R>(_ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R)
        throws -> R? {
        guard let entry = try move(MDB_GET_CURRENT) else { return nil }
        return try body(entry.key, entry.value)
    }

    /// `dupSort`: how many values the current key has. `mdb_cursor_count`.
    public func duplicateCount() throws -> Int {
        var count = 0
        try transaction.check(mdb_cursor_count(try liveHandle(), &count), "mdb_cursor_count")
        return count
    }

    // MARK: writes (write transactions only)

    /// Stores `value` under `key` and leaves the cursor on it. `mdb_cursor_put`.
    /// - Throws: `accessDenied` in a read transaction; as `WriteTransaction.put` otherwise.
    public func put(_ value: some ContiguousBytes, forKey key: some ContiguousBytes, flags: PutFlags = []) throws {
        let cursor = try writableHandle()
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                var k = MDB_val(keyBytes)
                var v = MDB_val(valueBytes)
                try transaction.check(mdb_cursor_put(cursor, &k, &v, flags.rawValue), "mdb_cursor_put")
            }
        }
    }

    /// Deletes the entry at the cursor (with `allDuplicates`, every value of its key); the
    /// cursor then sits on the following entry, so `current()` or a loop over `next()`
    /// continues correctly. `mdb_cursor_del`.
    public func deleteCurrent(allDuplicates: Bool = false) throws {
        let cursor = try writableHandle()
        try transaction.check(mdb_cursor_del(cursor, allDuplicates ? UInt32(MDB_NODUPDATA) : 0), "mdb_cursor_del")
    }

    private func writableHandle() throws(LMDBError) -> OpaquePointer {
        let cursor = try liveHandle()
        guard !transaction.isReadOnly else {
            throw LMDBError.accessDenied.with(context: "cursor write in a read-only transaction")
        }
        return cursor
    }
}

/// Cursors belong to the `withCursor` closure (and thread) that received them.
@available(*, unavailable)
extension Cursor: Sendable {}
