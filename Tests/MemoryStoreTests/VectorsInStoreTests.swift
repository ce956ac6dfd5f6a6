import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import Testing

/// `MemoryStoreOptions.vectorsInMemory = false`: int8 indexes keep links and codes, and read
/// their float vectors from the store's map.
@Suite struct VectorsInStoreTests {
    static let parameters = HNSWParameters(m: 8, efConstruction: 48, flatThreshold: 0, consolidationFraction: 0.2)

    static func options(vectorsInMemory: Bool) -> MemoryStoreOptions {
        var options = MemoryStoreOptions()
        options.vectorsInMemory = vectorsInMemory
        return options
    }

    /// The same history of writes: enough entries to train codes, deletes, updates, a
    /// consolidation (freed slots) and entries in reused slots.
    static func writeHistory(_ store: MemoryStore) throws {
        let ids = try fill(store, count: 1_300)
        for id in ids where id % 7 == 0 { try store.delete(namespace: "ns", id: id, context: testContext) }
        for id in ids where id % 11 == 0 && id % 7 != 0 {
            try store.update(namespace: "ns", id: id, vector: testVector(50_000 + id), context: testContext) { $0.text += "!" }
        }
        try store.consolidate(namespace: "ns")
        try fill(store, count: 150, seed: 3)
    }

    @Test func answersAsWithVectorsInMemoryAcrossReopenAndRebuild() throws {
        try withTemporaryDirectory { dir in
            let memoryDir = dir + "/memory", storeDir = dir + "/store"
            for path in [memoryDir, storeDir] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            let inMemory = try openStore(memoryDir, parameters: Self.parameters)
            var fromStore: MemoryStore! = try openStore(storeDir, options: Self.options(vectorsInMemory: false), parameters: Self.parameters)
            try Self.writeHistory(inMemory)
            try Self.writeHistory(fromStore)

            let index = try fromStore.index(namespace: "ns")
            #expect(!index.statistics.vectorsInMemory && index.traversesCodes)
            #expect(try inMemory.index(namespace: "ns").statistics.vectorsInMemory)
            #expect(try index.statistics.allocatedBytes < inMemory.index(namespace: "ns").statistics.allocatedBytes)
            let expected = try probe(inMemory)
            #expect(try probe(fromStore) == expected)
            #expect(fromStore.verify().problems == [])

            // The setting belongs to the running store, not to the data: reopen either way.
            for vectorsInMemory in [false, true, false] {
                fromStore = nil  // closes it: an index kept from it does not hold the data file open
                #expect(throws: HNSWError.vectorSourceUnavailable("the store is closed")) {
                    try index.search(testVector(1), k: 3)
                }
                fromStore = try MemoryStore(path: storeDir + "/store", options: Self.options(vectorsInMemory: vectorsInMemory))
                #expect(try fromStore.index(namespace: "ns").statistics.vectorsInMemory == vectorsInMemory)
                #expect(try probe(fromStore) == expected)
            }

            // A rebuild builds in memory, then moves the vectors out; writes go on after it.
            try inMemory.rebuildIndex(namespace: "ns")
            try fromStore.rebuildIndex(namespace: "ns")
            #expect(try !fromStore.index(namespace: "ns").statistics.vectorsInMemory)
            #expect(try probe(fromStore) == probe(inMemory))
            let id = try fill(fromStore, count: 1, seed: 9)[0]
            #expect(try fromStore.search(namespace: "ns", vector: testVector(9 &* 100_000), k: 1).first?.key == id)
            #expect(fromStore.verify().problems == [])
        }
    }

    @Test func floatTraversalKeepsItsVectorsAndRebuildSwitchesModes() throws {
        try withTemporaryDirectory { dir in
            var parameters = Self.parameters
            parameters.quantization = .none
            let store = try openStore(dir, options: Self.options(vectorsInMemory: false), parameters: parameters)
            try fill(store, count: 1_100)
            #expect(try store.index(namespace: "ns").statistics.vectorsInMemory, "it scores floats at every step")
            let before = try probe(store)
            parameters.quantization = .int8
            try store.rebuildIndex(namespace: "ns", parameters: parameters)
            let index = try store.index(namespace: "ns")
            #expect(!index.statistics.vectorsInMemory && index.traversesCodes)
            #expect(try probe(store).map { $0.map(\.key) }.count == before.count)
            #expect(store.verify().problems == [])
        }
    }
}
