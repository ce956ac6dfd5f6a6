import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import Testing
import VectorMath

/// kill -9 at random moments: every acknowledged write survives, the store verifies, and
/// searches find what was written.
///
/// A forked child opens the store and writes in a loop (single inserts, small batches and
/// deletes), reporting each write on a pipe only after it returned. The parent kills it with
/// SIGKILL after a random delay, reads what was acknowledged, reopens the store and checks.
///
/// `ENGRAM_CRASH_TRIALS` sets the number of trials (default 6, a few seconds);
/// `scripts/crash-test.sh` runs hundreds.
@Suite struct CrashTests {
    static let parameters = HNSWParameters(m: 8, efConstruction: 48, flatThreshold: 0, consolidationFraction: 0.1)

    /// One report from the child: 24 bytes, three native UInt64s.
    enum Report: UInt64 {
        case inserted = 1
        case deleted = 2
        /// Sent before a delete: if the child dies before `.deleted`, the delete may or may
        /// not have committed (it was never acknowledged), so either outcome is correct.
        case deleting = 3
    }

    @Test func acknowledgedWritesSurviveSIGKILL() throws {
        let trials = Int(ProcessInfo.processInfo.environment["ENGRAM_CRASH_TRIALS"] ?? "") ?? 6
        try withTemporaryDirectory { dir in
            let path = dir + "/store"
            // Create the store and run every write path once in this process before forking, so
            // the child needs no lazy runtime initialisation another thread could be holding.
            do {
                let store = try openStore(dir, parameters: Self.parameters)
                let ids = try fill(store, count: 3, seed: 999)
                try store.insertBatch([(MemoryDraft(text: "warm"), testVector(1))], namespace: "ns", context: testContext)
                try store.delete(namespace: "ns", id: ids[0], context: testContext)
                _ = store.verify()
            }
            var present: [UInt64: UInt64] = [:]  // id → vector seed
            var deleted: Set<UInt64> = []
            var totalAcknowledged = 0
            var killedWhileWriting = 0
            var lost = 0
            var generator = SystemRandomNumberGenerator()
            for trial in 0..<trials {
                let delay = Int.random(in: 1...250, using: &generator)
                let (reports, status) = try runChild(path: path, firstSeed: UInt64(trial + 1) << 32, killAfterMilliseconds: delay)
                let exitedAlone = !(status & 0x7f == SIGKILL)
                if exitedAlone { Issue.record("trial \(trial): the writer exited by itself (status \(status))") }
                if !reports.isEmpty { killedWhileWriting += 1 }
                for (kind, id, seed) in reports {
                    switch Report(rawValue: kind) {
                    case .inserted:
                        present[id] = seed
                        totalAcknowledged += 1
                    case .deleted:
                        present[id] = nil
                        deleted.insert(id)
                        totalAcknowledged += 1
                    case .deleting:
                        break
                    case nil:
                        Issue.record("trial \(trial): unknown report \(kind)")
                    }
                }

                let store = try MemoryStore(path: path)
                // An unacknowledged delete in flight at the kill: learn its outcome.
                if let last = reports.last, last.kind == Report.deleting.rawValue,
                   try store.get(namespace: "ns", id: last.id) == nil {
                    present[last.id] = nil
                    deleted.insert(last.id)
                }
                let report = store.verify()
                #expect(report.problems == [], "trial \(trial) (killed after \(delay) ms)")
                for (id, seed) in present {
                    let entry = try store.get(namespace: "ns", id: id)
                    if entry?.text != "crash \(seed)" { lost += 1 }
                    #expect(entry?.text == "crash \(seed)", "trial \(trial): acknowledged entry \(id) lost")
                }
                for id in deleted {
                    let back = try store.get(namespace: "ns", id: id) != nil
                    if back { lost += 1 }
                    #expect(!back, "trial \(trial): deleted entry \(id) is back")
                }
                for (id, seed) in present where reports.contains(where: { $0.id == id }) || id % 7 == 0 {
                    let hits = try store.search(namespace: "ns", vector: testVector(seed), k: 5, ef: 128).map(\.key)
                    if !hits.contains(id) { lost += 1 }
                    #expect(hits.contains(id), "trial \(trial): search does not find entry \(id)")
                }
            }
            print("crash test: \(trials) trials, \(totalAcknowledged) acknowledged writes (\(present.count) entries live, \(deleted.count) deleted), \(killedWhileWriting) trials killed mid-stream; \(lost == 0 ? "all found" : "\(lost) FAILED checks")")
            #expect(totalAcknowledged > 0)
        }
    }

    /// Forks the writer, collects its reports until `killAfterMilliseconds`, kills it, and
    /// returns every report it wrote (those still in the pipe included) and its wait status.
    private func runChild(path: String, firstSeed: UInt64, killAfterMilliseconds: Int,
                          child: (String, UInt64, Int32) -> Never = CrashTests.writerLoop)
        throws -> (reports: [(kind: UInt64, id: UInt64, seed: UInt64)], status: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw LMDBError(code: errno, context: "pipe") }
        let pid = fork()
        if pid == 0 {
            // Close what the child inherited (other tests' stores and their flock-ed lock
            // files: a flock belongs to the open file, which the child would otherwise share
            // and keep locked until it is killed).
            for fd in 3..<Int32(4096) where fd != fds[1] { close(fd) }
            child(path, firstSeed, fds[1])
        }
        close(fds[1])
        defer { close(fds[0]) }
        guard pid > 0 else { throw LMDBError(code: errno, context: "fork") }

        var buffer: [UInt8] = []
        let deadline = ContinuousClock.now + .milliseconds(killAfterMilliseconds)
        var chunk = [UInt8](repeating: 0, count: 4096)
        func readAvailable(timeoutMilliseconds: Int32) -> Bool {
            var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMilliseconds) == 1 else { return true }
            let n = read(fds[0], &chunk, chunk.count)
            if n > 0 { buffer += chunk[0..<n] }
            return n > 0
        }
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            let milliseconds = max(1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            if !readAvailable(timeoutMilliseconds: milliseconds) { break }
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        while readAvailable(timeoutMilliseconds: 1_000) {}  // the rest, up to EOF

        var reports: [(kind: UInt64, id: UInt64, seed: UInt64)] = []
        buffer.withUnsafeBytes { raw in
            for offset in stride(from: 0, to: raw.count - raw.count % 24, by: 24) {
                reports.append((raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self),
                                raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self),
                                raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
            }
        }
        return (reports, status)
    }

    /// The child: writes until killed; reports each write after it returned.
    private static func writerLoop(path: String, firstSeed: UInt64, fd: Int32) -> Never {
        func report(_ kind: Report, _ id: UInt64, _ seed: UInt64) { send(fd, kind.rawValue, id, seed) }
        do {
            let store = try MemoryStore(path: path)
            let context = AuditContext(actor: "crash-writer")
            var seed = firstSeed
            var mine: [UInt64] = []
            for step in 0... {
                if step % 10 == 9 {
                    let items = (0..<5).map { i in (draft: MemoryDraft(text: "crash \(seed + UInt64(i))"), vector: testVector(seed + UInt64(i))) }
                    let results = try store.insertBatch(items, namespace: "ns", context: context)
                    for (i, result) in results.enumerated() { report(.inserted, result.entry.id, seed + UInt64(i)) }
                    mine += results.map(\.entry.id)
                    seed += 5
                } else if step % 4 == 3, let victim = mine.popLast() {
                    report(.deleting, victim, 0)
                    try store.delete(namespace: "ns", id: victim, hard: step % 8 == 7, context: context)
                    report(.deleted, victim, 0)
                } else {
                    let result = try store.insert(MemoryDraft(text: "crash \(seed)"), vector: testVector(seed), namespace: "ns", context: context)
                    report(.inserted, result.entry.id, seed)
                    mine.append(result.entry.id)
                    seed += 1
                }
            }
            _exit(0)
        } catch {
            _exit(3)
        }
    }

    /// Writes one 24-byte report to the pipe (atomic: less than PIPE_BUF).
    private static func send(_ fd: Int32, _ kind: UInt64, _ id: UInt64, _ seed: UInt64) {
        var message = (kind, id, seed)
        let written = withUnsafeBytes(of: &message) { write(fd, $0.baseAddress, 24) }
        if written != 24 { _exit(4) }
    }

    /// A full disk: the child limits its file size (`RLIMIT_FSIZE`, with `SIGXFSZ` ignored so
    /// writes fail with `EFBIG` instead of killing it) and writes until a commit fails. The
    /// failure is reported as an error; the child's index still holds exactly the acknowledged
    /// entries; after a reopen every acknowledged entry is there and the store verifies.
    @Test func aFullDiskFailsWritesCleanly() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/store"
            do { try fill(try openStore(dir, parameters: Self.parameters), count: 3) }
            let (reports, status) = try runChild(path: path, firstSeed: 1 << 40, killAfterMilliseconds: 60_000) { path, seed, fd in
                do {
                    let store = try MemoryStore(path: path)
                    var info = stat()
                    guard stat(path + "/data.mdb", &info) == 0 else { _exit(5) }
                    var limit = rlimit()
                    getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
                    limit.rlim_cur = rlim_t(info.st_size) + (192 << 10)
                    signal(SIGXFSZ, SIG_IGN)
                    guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0 else { _exit(6) }
                    for i in UInt64(0)..<100_000 {
                        do {
                            let result = try store.insert(MemoryDraft(text: String(repeating: "disk \(i) ", count: 150)),
                                                          vector: testVector(seed + i), namespace: "ns", context: testContext)
                            Self.send(fd, Report.inserted.rawValue, result.entry.id, seed + i)
                        } catch let error as LMDBError {
                            Self.send(fd, 9, UInt64(bitPattern: Int64(error.code)), 0)
                            break
                        }
                    }
                    Self.send(fd, 10, UInt64(try store.index(namespace: "ns").count), 0)
                    Self.send(fd, 11, try store.lastSequence, 0)
                    _exit(0)
                } catch {
                    _exit(3)
                }
            }
            #expect(status == 0, "the child failed (status \(status))")
            let inserted = reports.filter { $0.kind == Report.inserted.rawValue }
            let failure = reports.first { $0.kind == 9 }
            #expect(failure != nil, "no write failed")
            let code = Int32(truncatingIfNeeded: Int64(bitPattern: failure?.id ?? 0))
            #expect(code == EFBIG || code == ENOSPC || code == EIO, "error code \(code)")
            #expect(inserted.count > 10)
            // In the child, after the failure: the index and the log hold exactly what was acknowledged.
            #expect(reports.first { $0.kind == 10 }?.id == UInt64(3 + inserted.count))
            #expect(reports.first { $0.kind == 11 }?.id == UInt64(3 + inserted.count))
            let store = try MemoryStore(path: path)
            #expect(store.verify().problems == [])
            #expect(try store.index(namespace: "ns").count == 3 + inserted.count)
            for (_, id, seed) in inserted {
                #expect(try store.get(namespace: "ns", id: id)?.text.hasPrefix("disk \(seed - (1 << 40)) ") == true)
            }
            print("full disk: \(inserted.count) writes acknowledged, then \(LMDBError(code: code)); all present after reopen")
        }
    }
}
