internal import CLMDB

/// Range scans, built on a private cursor.
extension Transaction {
    /// Visits the entries of `db` within `range` in key order (or reverse), borrowing each key
    /// and value from the map (valid only during that call of `body`, unaligned).
    /// `body` returns `.stop` to end early.
    ///
    /// With `dupSort`, every value is visited; in reverse, values of a key come last-first.
    /// - Complexity: O(log n) to position, then amortised O(1) per entry visited.
    public func forEach(in db: Database, range: KeyRange = .all, reverse: Bool = false,
                        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanControl)
        throws {
        try withCursor(on: db) { cursor in
            if reverse {
                try scanBackward(cursor, db: db, range: range, body)
            } else {
                try scanForward(cursor, db: db, range: range, body)
            }
        }
    }

    /// The entries of `db` within `range`, copied, at most `limit` of them.
    /// - Complexity: O(log n + k) for k entries returned.
    public func entries(in db: Database, range: KeyRange = .all, reverse: Bool = false,
                        limit: Int = .max) throws -> [KeyValue] {
        var result: [KeyValue] = []
        guard limit > 0 else { return result }
        try forEach(in: db, range: range, reverse: reverse) { key, value in
            result.append(KeyValue(key: Array(key), value: Array(value)))
            return result.count < limit ? .continue : .stop
        }
        return result
    }

    /// The keys of `db` within `range`, copied, at most `limit`.
    public func keys(in db: Database, range: KeyRange = .all, reverse: Bool = false,
                     limit: Int = .max) throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        guard limit > 0 else { return result }
        try forEach(in: db, range: range, reverse: reverse) { key, _ in
            result.append(Array(key))
            return result.count < limit ? .continue : .stop
        }
        return result
    }

    /// How many entries of `db` fall within `range`. O(log n + k); use `count(in:)` for the
    /// whole database in O(1).
    public func count(in db: Database, range: KeyRange) throws -> Int {
        var n = 0
        try forEach(in: db, range: range) { _, _ in
            n += 1
            return .continue
        }
        return n
    }

    /// The entry with the smallest key, copied, or `nil` if `db` is empty. O(log n).
    public func first(in db: Database) throws -> KeyValue? {
        try withCursor(on: db) { try $0.first() }
    }

    /// The entry with the largest key, copied, or `nil` if `db` is empty. O(log n).
    /// For a log keyed by a big-endian sequence this is the latest record.
    public func last(in db: Database) throws -> KeyValue? {
        try withCursor(on: db) { try $0.last() }
    }

    // MARK: implementation

    private func compare(_ a: UnsafeRawBufferPointer, _ b: [UInt8], dbi: MDB_dbi) throws -> Int32 {
        let txn = try liveHandle()
        return b.withUnsafeBytes { bb in
            var x = MDB_val(a)
            var y = MDB_val(bb)
            return mdb_cmp(txn, dbi, &x, &y)
        }
    }

    private func isBeyondUpper(_ key: UnsafeRawBufferPointer, _ range: KeyRange, dbi: MDB_dbi) throws -> Bool {
        guard let upper = range.upperBound else { return false }
        let order = try compare(key, upper, dbi: dbi)
        return order > 0 || (order == 0 && !range.includesUpperBound)
    }

    private func scanForward(_ cursor: Cursor, db: Database, range: KeyRange,
                             _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> ScanControl) throws {
        let dbi = try dbi(db)
        var entry: (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?
        if let lower = range.lowerBound {
            entry = try lower.withUnsafeBytes { try cursor.move(MDB_SET_RANGE, key: $0) }
        } else {
            entry = try cursor.move(MDB_FIRST)
        }
        while let current = entry {
            if try isBeyondUpper(current.key, range, dbi: dbi) { return }
            if try body(current.key, current.value) == .stop { return }
            entry = try cursor.move(MDB_NEXT)
        }
    }

    private func scanBackward(_ cursor: Cursor, db: Database, range: KeyRange,
                              _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> ScanControl) throws {
        let dbi = try dbi(db)
        var entry: (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?
        if let upper = range.upperBound {
            // First key ≥ upper; step back once if it is outside the range.
            entry = try upper.withUnsafeBytes { try cursor.move(MDB_SET_RANGE, key: $0) }
            if let found = entry {
                if try isBeyondUpper(found.key, range, dbi: dbi) {
                    entry = try cursor.move(MDB_PREV)
                } else if db.flags.contains(.dupSort) {
                    // MDB_LAST_DUP moves to the key's last value but returns no key.
                    _ = try cursor.move(MDB_LAST_DUP)
                    entry = try cursor.move(MDB_GET_CURRENT)
                }
            } else {
                entry = try cursor.move(MDB_LAST)
            }
        } else {
            entry = try cursor.move(MDB_LAST)
        }
        while let current = entry {
            if let lower = range.lowerBound, try compare(current.key, lower, dbi: dbi) < 0 { return }
            if try body(current.key, current.value) == .stop { return }
            entry = try cursor.move(MDB_PREV)
        }
    }
}
