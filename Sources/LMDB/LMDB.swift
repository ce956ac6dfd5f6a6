// LMDB: a safe Swift wrapper of the LMDB C API (liblmdb 0.9.x), in the manner of GRDB over
// SQLite. The module owns every C call into liblmdb; its public API exposes no C type.
//
// One file per concern:
// - Environment.swift: open/close, `read`/`write` closures, the write loop with map growth.
//   Environment+Open (open-time checks), +Databases (handle cache), +Info, +Backup (sync, copy).
//   EnvironmentOptions.swift: sizes, durability, layout.
// - MapGrowth.swift + TransactionGate.swift: growing the map on `MDB_MAP_FULL` safely.
// - OpenEnvironments.swift: refuses a second open of one file in one process.
// - Transaction.swift / WriteTransaction.swift: reads, puts, deletes, database handles.
// - Database.swift (handles, flags, `KeyValue`), Cursor.swift, KeyRange.swift, Scan.swift.
// - LMDBError.swift: the C code plus `mdb_strerror`'s message, with named codes.
// - Bytes.swift (big-endian integer keys), Float32.swift (unaligned float32 vectors).
//
// Threading model: `Environment` is `Sendable`; transactions and cursors are not and live only
// inside the closure that received them. The environment is always opened with `MDB_NOTLS`,
// so a read transaction belongs to its closure, never to the OS thread that began it.
