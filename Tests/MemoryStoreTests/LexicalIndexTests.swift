import Foundation
import LMDB
import Testing
@testable import MemoryStore

/// The lexical index: written with every write, true after reopening, checked by `verify`,
/// rebuilt by a schema migration and by an index rebuild.
@Suite struct LexicalIndexTests {
    func ranked(_ store: MemoryStore, _ text: String, namespace: String = "ns") throws -> [UInt64] {
        try store.lexicalScores(namespace: namespace, text: text).ranked(limit: 100) { _ in true }.map(\.key)
    }

    @Test func everyWriteKeepsTheIndexTrueAcrossReopening() throws {
        try withTemporaryDirectory { dir in
            var ids: [UInt64] = []
            do {
                let store = try openStore(dir)
                ids = try store.insertBatch([
                    (MemoryDraft(text: "Caroline researched adoption agencies"), testVector(1)),
                    (MemoryDraft(text: "Melanie painted a sunrise over the lake"), testVector(2)),
                    (MemoryDraft(text: "The lake was frozen in January"), testVector(3)),
                ], namespace: "ns", context: testContext).map(\.entry.id)
                #expect(try ranked(store, "adopting") == [ids[0]])  // stemmed: adopting ~ adoption
                #expect(try Set(ranked(store, "lakes")) == [ids[1], ids[2]])
                // An edit of the text moves the entry's terms; an edit of anything else leaves them.
                try store.update(namespace: "ns", id: ids[0], vector: testVector(4), context: testContext) { $0.text = "Caroline went hiking" }
                try store.update(namespace: "ns", id: ids[1], context: testContext) { $0.tags = ["art"] }
                #expect(try ranked(store, "adoption").isEmpty)
                #expect(try ranked(store, "hike") == [ids[0]])
                try store.delete(namespace: "ns", id: ids[2], context: testContext)
                #expect(try ranked(store, "lake") == [ids[1]])
                let report = try store.importEntries([ImportItem(id: 500, draft: MemoryDraft(text: "Imported note about a frozen lake"),
                                                                 vector: testVector(5))], namespace: "ns", context: testContext)
                #expect(report.outcomes.map(\.status) == [.created])
                #expect(try Set(ranked(store, "frozen lake")) == [ids[1], 500])
                try store.delete(namespace: "ns", id: ids[1], hard: true, context: testContext)
                #expect(store.verify().problems == [])
            }
            let reopened = try openStore(dir, createNamespace: false)
            #expect(try ranked(reopened, "hiking") == [ids[0]])
            #expect(try ranked(reopened, "lake") == [500])
            #expect(reopened.verify().problems == [])
            let info = try #require(reopened.namespace("ns"))
            // carolin, went, hike; import, note, frozen, lake ("about" is a stop word): the
            // terms of the deleted entries are gone.
            #expect(info.lexicalTerms == 7)
        }
    }

    @Test func scoresFollowBM25AndTheNamespaceOptions() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir, createNamespace: false)
            try store.createNamespace(NamespaceConfig(name: "raw", dimension: 8,
                                                      lexical: LexicalOptions(stemming: .none, stopWords: .none)))
            let a = try store.insert(MemoryDraft(text: "the running dog"), vector: testVector(1), namespace: "raw", context: testContext).entry.id
            let b = try store.insert(MemoryDraft(text: "a dog runs"), vector: testVector(2), namespace: "raw", context: testContext).entry.id
            // Without stemming "running" matches only itself; without stop words "the" is a term.
            #expect(try ranked(store, "running", namespace: "raw") == [a])
            #expect(try ranked(store, "the", namespace: "raw") == [a])
            #expect(try Set(ranked(store, "dog", namespace: "raw")) == [a, b])
            // Options are fixed: creating it again with other ones is a conflict.
            #expect(throws: MemoryStoreError.self) {
                try store.createNamespace(NamespaceConfig(name: "raw", dimension: 8))
            }
            #expect(throws: MemoryStoreError.self) {
                try store.createNamespace(NamespaceConfig(name: "bad", dimension: 8, lexical: LexicalOptions(k1: -1)))
            }
        }
    }

    @Test func verifyFindsADamagedOrMissingLexicalRecordAndRebuildRepairsIt() throws {
        try withTemporaryDirectory { dir in
            var ids: [UInt64] = []
            do { ids = try fill(try openStore(dir), count: 6) }
            do {
                let env = try Environment(path: dir + "/store")
                let documents = try env.openDatabase(named: "lexical_documents", create: false)
                let deleted = try env.write { txn in try txn.delete(Keys.entry(1, ids[1]), in: documents) }
                #expect(deleted)
            }
            // The statistics no longer match the records: the namespace is refused at open.
            #expect(throws: MemoryStoreError.self) { try openStore(dir, createNamespace: false) }
            var options = MemoryStoreOptions()
            options.loadIndexes = false
            let offline = try openStore(dir, options: options, createNamespace: false)
            let problems = offline.verify().problems
            #expect(problems.contains("namespace \"ns\": entry \(ids[1]) has no lexical document"))
            #expect(problems.contains { $0.contains("lexical statistics say 6 documents") })
            try offline.rebuildIndex(namespace: "ns")
            #expect(offline.verify().problems == [])
            #expect(try ranked(offline, "memory").count == 6)
        }
    }

    @Test func aVersionOneStoreGetsItsLexicalIndexAtOpen() throws {
        try withTemporaryDirectory { dir in
            var ids: [UInt64] = []
            // More entries than one migration transaction takes (`LexicalLoader.batchSize`).
            do {
                let store = try openStore(dir)
                for start in stride(from: 0, to: LexicalLoader.batchSize + 100, by: 500) {
                    ids += try store.insertBatch((start..<start + 500).map { (MemoryDraft(text: "memory \($0)"), testVector(UInt64($0))) },
                                                 namespace: "ns", context: testContext).map(\.entry.id)
                }
            }
            // Make it what schema 1 wrote: no lexical records, version 1.
            do {
                let env = try Environment(path: dir + "/store")
                let meta = try env.openDatabase(named: "meta", create: false)
                let documents = try env.openDatabase(named: "lexical_documents", create: false)
                let statistics = try env.openDatabase(named: "lexical_stats", create: false)
                try env.write { txn in
                    for key in try txn.keys(in: documents) { _ = try txn.delete(key, in: documents) }
                    for key in try txn.keys(in: statistics) { _ = try txn.delete(key, in: statistics) }
                    try txn.put([0, 0, 0, 1], forKey: Array("schema_version".utf8), in: meta)
                }
            }
            let store = try openStore(dir, createNamespace: false)
            #expect(Set(try store.lexicalScores(namespace: "ns", text: "memory").scores.keys) == Set(ids))
            #expect(try ranked(store, "memory \(ids.count - 1)").first == ids.last)
            #expect(store.verify().problems == [])
        }
    }
}
