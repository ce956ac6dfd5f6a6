import Foundation
@testable import MemoryStore
import Testing

/// A hard delete leaves nothing of the entry's content: not in the audit log, not in the data
/// file's bytes.
@Suite struct ForgettingTests {
    func fileContains(_ path: String, _ needle: String) throws -> Bool {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        return bytes.range(of: Data(needle.utf8)) != nil
    }

    @Test func aHardDeleteScrubsEveryEventOfTheEntry() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let draft = MemoryDraft(text: "the vault code is 4711", tags: ["secret-tag"], metadata: ["k": .string("secret-meta")],
                                    source: "secret-source")
            let id = try store.insert(draft, vector: testVector(1), namespace: "ns",
                                      context: AuditContext(actor: "alice", reason: "secret-reason")).entry.id
            try store.update(namespace: "ns", id: id, context: AuditContext(actor: "bob", reason: "another secret-reason")) {
                $0.tags = ["secret-tag-2"]
            }
            try store.delete(namespace: "ns", id: id, hard: true, context: AuditContext(actor: "carol", reason: "gdpr secret-reason"))
            let history = try store.audit(entryID: id)
            #expect(history.map(\.kind) == [.created, .updated, .deleted])
            #expect(history.map(\.actor) == ["alice", "bob", "carol"])
            for event in history {
                #expect(event.isScrubbed)
                #expect(event.reason == nil && event.beforeTextSHA256 == nil && event.afterTextSHA256 == nil)
                for entry in [event.before, event.after].compactMap({ $0 }) {
                    #expect(entry.text.isEmpty && entry.tags.isEmpty && entry.metadata.isEmpty && entry.source.isEmpty)
                    #expect(entry.id == id)
                }
            }
            #expect(store.verify().problems == [])
        }
    }

    @Test func aHardDeletedTextIsGoneFromTheDataFileAfterTheScrub() throws {
        try withTemporaryDirectory { dir in
            let secret = "zebra-7f3a-unforgettable"
            do {
                let store = try openStore(dir)
                try fill(store, count: 300)
                let id = try store.insert(MemoryDraft(text: "\(secret) lives here"), vector: testVector(77), namespace: "ns",
                                          context: testContext).entry.id
                try fill(store, count: 300, seed: 9)
                try store.delete(namespace: "ns", id: id, hard: true, context: testContext)
                // Before the scrub the freed pages still hold it (LMDB is copy-on-write).
                #expect(try fileContains(dataFile(dir), secret))
                #expect(try store.scrubFreePagesIfPending() != nil)
                #expect(try store.scrubFreePagesIfPending() == nil)  // nothing pending any more
                #expect(store.verify().problems == [])
                #expect(try store.entries(namespace: "ns", limit: 1000).entries.count == 600)
            }
            #expect(try !fileContains(dataFile(dir), secret))
            let reopened = try MemoryStore(path: dir + "/store")
            #expect(reopened.verify().problems == [])
        }
    }

    @Test func scrubbingAgainAndAgainDoesNotGrowTheFile() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            try fill(store, count: 300)
            var freeLists: [Int] = []
            for round in 0..<8 {
                let ids = try (0..<30).map { i in
                    try store.insert(MemoryDraft(text: String(repeating: "secret \(round)-\(i) ", count: 100)),
                                     vector: testVector(UInt64(10_000 + round * 100 + i)), namespace: "ns",
                                     context: testContext).entry.id
                }
                for id in ids { try store.delete(namespace: "ns", id: id, hard: true, context: testContext) }
                #expect(try store.scrubFreePagesIfPending() != nil)
                freeLists.append(try store.env.freePageCount())
            }
            // Each round frees and reuses about the same pages: the free list stays the size one
            // round's deletes make (an earlier scrub tripled it every time, and the file with it).
            #expect(freeLists.max()! <= 2 * freeLists[0], "\(freeLists)")
            #expect(store.verify().problems == [])
        }
    }

    @Test func aReaderOnAnOldSnapshotPostponesTheScrub() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let id = try store.insert(MemoryDraft(text: "okapi-secret-3c1d"), vector: testVector(5), namespace: "ns",
                                      context: testContext).entry.id
            try fill(store, count: 200)
            try store.env.read { _ in
                // This snapshot predates the delete, so the pages the delete frees stay needed.
                try store.delete(namespace: "ns", id: id, hard: true, context: testContext)
                #expect(try store.scrubFreePagesIfPending() == nil)
            }
            // Still pending; with the reader gone it runs.
            #expect(try store.scrubFreePagesIfPending() != nil)
            #expect(try !fileContains(dataFile(dir), "okapi-secret-3c1d"))
        }
    }
}
