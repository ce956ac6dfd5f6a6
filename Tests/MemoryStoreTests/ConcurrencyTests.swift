import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import Synchronization
import Testing
import VectorMath

/// Runs `body` on a new OS thread and returns a semaphore signalled when it ends.
func onThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    Thread {
        body()
        done.signal()
    }.start()
    return done
}

@Suite struct ConcurrencyTests {
    @Test func hotBackupWhileWritingOpensAndVerifies() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir, parameters: HNSWParameters(m: 8, efConstruction: 32, flatThreshold: 0))
            try fill(store, count: 50)
            let failures = Mutex<[String]>([])
            let writer = onThread {
                do {
                    for i in 0..<400 {
                        let id = try store.insert(MemoryDraft(text: "concurrent \(i)"), vector: testVector(60_000 + UInt64(i)),
                                                  namespace: "ns", context: testContext).entry.id
                        if i % 5 == 0 { try store.delete(namespace: "ns", id: id, context: testContext) }
                    }
                } catch {
                    failures.withLock { $0.append("writer: \(error)") }
                }
            }
            var counts: [Int] = []
            for copy in 0..<3 {
                let destination = dir + "/backup-\(copy)"
                try store.backup(to: destination)
                let backup = try MemoryStore(path: destination)
                #expect(backup.verify().problems == [], "backup \(copy)")
                let entries = try backup.index(namespace: "ns").count
                #expect(try backup.lastSequence >= UInt64(entries))
                counts.append(entries)
            }
            writer.wait()
            #expect(failures.withLock { $0 } == [])
            #expect(counts.allSatisfy { $0 >= 50 })
            #expect(store.verify().problems == [])
            // A backup after the writes has them all, and searches the same.
            try store.backup(to: dir + "/final")
            let final = try MemoryStore(path: dir + "/final")
            #expect(try probe(final) == probe(store))
        }
    }

    /// Read your writes: the moment a write returns, another thread finds the entry by id and by
    /// search, while searches run throughout; also when the index reads its vectors from the
    /// store, where each search's read transaction must show every node the index published.
    @Test(arguments: [true, false])
    func writesAreVisibleToOtherThreadsWhenTheyReturn(vectorsInMemory: Bool) throws {
        try withTemporaryDirectory { dir in
            var options = MemoryStoreOptions()
            options.vectorsInMemory = vectorsInMemory
            let store = try openStore(dir, options: options, parameters: HNSWParameters(m: 8, efConstruction: 32, flatThreshold: 0))
            #expect(try store.index(namespace: "ns").statistics.vectorsInMemory == vectorsInMemory)
            let acknowledged = Mutex<[(UInt64, UInt64)]>([])
            let finished = Atomic<Bool>(false)
            let failures = Mutex<[String]>([])
            let writer = onThread {
                defer { finished.store(true, ordering: .releasing) }
                do {
                    for i in UInt64(0)..<300 {
                        let id = try store.insert(MemoryDraft(text: "visible \(i)"), vector: testVector(80_000 + i),
                                                  namespace: "ns", context: testContext).entry.id
                        acknowledged.withLock { $0.append((id, 80_000 + i)) }
                    }
                } catch {
                    failures.withLock { $0.append("writer: \(error)") }
                }
            }
            let readers = (0..<2).map { _ in
                onThread {
                    var checked = 0
                    while !finished.load(ordering: .acquiring) || checked < 300 {
                        let known = acknowledged.withLock { $0 }
                        if checked >= known.count {
                            if finished.load(ordering: .acquiring) { break }
                            continue
                        }
                        let (id, seed) = known[checked]
                        do {
                            if try store.get(namespace: "ns", id: id) == nil { failures.withLock { $0.append("entry \(id) not readable") } }
                            let hits = try store.search(namespace: "ns", vector: testVector(seed), k: 3, ef: 64).map(\.key)
                            if !hits.contains(id) { failures.withLock { $0.append("entry \(id) not found by search") } }
                        } catch {
                            failures.withLock { $0.append("reader: \(error)") }
                        }
                        checked += 1
                    }
                }
            }
            writer.wait()
            for reader in readers { reader.wait() }
            #expect(failures.withLock { $0 } == [])
            #expect(store.verify().problems == [])
        }
    }
}
