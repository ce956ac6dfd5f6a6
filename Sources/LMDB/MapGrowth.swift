internal import CLMDB

// Map growth. LMDB cannot grow the map inside a transaction: `mdb_env_set_mapsize` unmaps
// and remaps the file and requires that this process has no live transaction. The write
// loop in `Environment.performWrite` therefore aborts the transaction that hit
// `MDB_MAP_FULL`, calls `growMap()` (still holding the writer lock, so no other write can
// start), and reruns the write closure. `TransactionGate` keeps readers out while the map is
// swapped and waits for the live ones to leave.
extension Environment {
    /// Doubles the map (rounded to the OS page size), capped at `maxMapSize`.
    ///
    /// Precondition: called with `writerLock` held and no transaction of this thread live.
    /// - Throws: `mapFull` when the map is already at `maxMapSize`, when this thread holds a
    ///   read transaction (growing would pull the map from under it), or when other
    ///   transactions did not finish within `growthWaitTimeout`.
    func growMap() throws {
        let limit = Self.roundUp(max(options.maxMapSize, osPageSize), to: osPageSize)
        let outcome = try gate.exclusive(timeout: options.growthWaitTimeout) { () throws -> Int in
            var info = MDB_envinfo()
            try check(mdb_env_info(handle, &info), "mdb_env_info")
            let current = Int(info.me_mapsize)
            guard current < limit else {
                throw LMDBError.mapFull.with(context: "map is at its maximum size of \(limit) bytes")
            }
            let doubled = current.multipliedReportingOverflow(by: 2)
            let target = Self.roundUp(min(doubled.overflow ? limit : doubled.partialValue, limit), to: osPageSize)
            try resizeMap(to: target, from: current)
            return target
        }
        switch outcome {
        case .ran:
            return
        case .timedOut:
            throw LMDBError.mapFull.with(
                context: "map could not grow: other transactions of this process did not end within \(options.growthWaitTimeout)")
        case .heldByCaller:
            throw LMDBError.mapFull.with(
                context: "map could not grow: this thread holds a read transaction of the same environment")
        }
    }

    /// Adopts the map size another process grew the file to (`MDB_MAP_RESIZED`).
    func adoptMapSizeFromFile() throws {
        let outcome = try gate.exclusive(timeout: options.growthWaitTimeout) { () throws in
            var info = MDB_envinfo()
            try check(mdb_env_info(handle, &info), "mdb_env_info")
            try resizeMap(to: 0, from: Int(info.me_mapsize))
        }
        switch outcome {
        case .ran:
            return
        case .timedOut, .heldByCaller:
            throw LMDBError.mapResized.with(context: "another process grew the map and this one could not adopt it now")
        }
    }

    /// `mdb_env_set_mapsize` with recovery: if remapping at the new size fails (address space
    /// exhausted), the old size is restored; if even that fails the environment has no map
    /// and is marked defunct, so later calls throw `panic` instead of touching freed memory.
    /// Precondition: inside `gate.exclusive`.
    private func resizeMap(to target: Int, from current: Int) throws {
        let rc = mdb_env_set_mapsize(handle, target)
        if rc == MDB_SUCCESS { return }
        if mdb_env_set_mapsize(handle, current) != MDB_SUCCESS {
            isDefunct.store(true, ordering: .releasing)
        }
        throw LMDBError(code: rc, context: "mdb_env_set_mapsize(\(target))")
    }
}
