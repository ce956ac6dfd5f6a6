import CLMDB
import Foundation
import LMDB
import Testing

// Child processes for multi-process tests. After fork() in a multithreaded process only
// async-signal-safe work is reliable, so a child makes only C calls on memory prepared
// before the fork, and reports through a pipe.

/// Forks a child that opens the environment at `path`, begins a read transaction, reports,
/// and sleeps until killed. Returns its pid once the read transaction is live.
func spawnReader(path: String) throws -> pid_t {
    let cPath = strdup(path)!
    defer { free(cPath) }
    return try forkChild { writeEnd in
        var env: OpaquePointer?
        var txn: OpaquePointer?
        var byte: UInt8 = 1
        if mdb_env_create(&env) != 0 { _exit(2) }
        if mdb_env_open(env, cPath, UInt32(MDB_NOTLS), 0o600) != 0 { _exit(3) }
        if mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn) != 0 { _exit(4) }
        _ = write(writeEnd, &byte, 1)
        while true { pause() }
    }
}

/// Forks a child that opens the environment with a `mapSize` map, puts `value` under `key`
/// in the main database, commits, reports and exits. Returns once the commit is done.
func spawnWriter(path: String, mapSize: Int, key: [UInt8], value: [UInt8]) throws {
    let cPath = strdup(path)!
    let keyBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: key.count, alignment: 8)
    let valueBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: value.count, alignment: 8)
    keyBuffer.copyBytes(from: key)
    valueBuffer.copyBytes(from: value)
    defer {
        free(cPath)
        keyBuffer.deallocate()
        valueBuffer.deallocate()
    }
    let pid = try forkChild { writeEnd in
        var env: OpaquePointer?
        var txn: OpaquePointer?
        var dbi: MDB_dbi = 0
        var k = MDB_val(mv_size: keyBuffer.count, mv_data: keyBuffer.baseAddress)
        var v = MDB_val(mv_size: valueBuffer.count, mv_data: valueBuffer.baseAddress)
        var byte: UInt8 = 1
        if mdb_env_create(&env) != 0 { _exit(2) }
        if mdb_env_set_mapsize(env, mapSize) != 0 { _exit(3) }
        if mdb_env_open(env, cPath, UInt32(MDB_NOTLS), 0o600) != 0 { _exit(4) }
        if mdb_txn_begin(env, nil, 0, &txn) != 0 { _exit(5) }
        if mdb_dbi_open(txn, nil, 0, &dbi) != 0 { _exit(6) }
        if mdb_put(txn, dbi, &k, &v, 0) != 0 { _exit(7) }
        if mdb_txn_commit(txn) != 0 { _exit(8) }
        mdb_env_close(env)
        _ = write(writeEnd, &byte, 1)
        _exit(0)
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

/// Forks; the child runs `child` with the pipe's write end and must not return. The parent
/// waits up to 10 s for the child's one-byte report, and kills it if none comes.
private func forkChild(_ child: (Int32) -> Never) throws -> pid_t {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw LMDBError(code: errno, context: "pipe") }
    let readEnd = fds[0], writeEnd = fds[1]
    let pid = fork()
    if pid == 0 {
        close(readEnd)
        child(writeEnd)
    }
    close(writeEnd)
    defer { close(readEnd) }
    guard pid > 0 else { throw LMDBError(code: errno, context: "fork") }
    var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
    var byte: UInt8 = 0
    guard poll(&poller, 1, 10_000) == 1, read(readEnd, &byte, 1) == 1 else {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        throw LMDBError.invalidArgument.with(context: "child process did not report (status \(status))")
    }
    return pid
}
