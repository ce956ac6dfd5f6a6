import HNSW
import Testing
import VectorMath

@Suite("Deletes and updates")
struct MutationTests {
    @Test("a deleted key is never returned from the next search on")
    func deletedNeverReturned() throws {
        let data = TestData.clustered(count: 3000, dimension: 32, clusters: 30, seed: 11)
        // A large consolidation fraction keeps the deleted nodes in the graph as tombstones.
        let index = try makeIndex(data, parameters: HNSWParameters(flatThreshold: 0, consolidationFraction: 1))
        for key in stride(from: UInt64(0), to: 3000, by: 3) { #expect(index.remove(key)) }
        #expect(!index.remove(0), "second delete of the same key reports absence")
        #expect(index.count == 2000)
        #expect(index.statistics.deletedNodes == 1000)
        for (i, query) in data.enumerated().prefix(300) {
            let results = try index.search(query, k: 10, ef: 64)
            #expect(results.allSatisfy { $0.key % 3 != 0 }, "query \(i) returned a deleted key")
            #expect(results.count == 10)
        }
        #expect(index.verifyStructure().isEmpty)
    }

    @Test("deleting half and inserting as many keeps recall at the level of a fresh build")
    func churn() throws {
        let dimension = 48
        let original = TestData.clustered(count: 4000, dimension: dimension, clusters: 40, seed: 21)
        let replacements = TestData.clustered(count: 2000, dimension: dimension, clusters: 40, seed: 22)
        let queries = TestData.clustered(count: 100, dimension: dimension, clusters: 40, seed: 23)
        let parameters = HNSWParameters(m: 12, efConstruction: 100, flatThreshold: 0)

        let churned = try makeIndex(original, parameters: parameters)
        for key in stride(from: UInt64(0), to: 4000, by: 2) { churned.remove(key) }
        for (i, vector) in replacements.enumerated() { try churned.insert(vector, key: 10_000 + UInt64(i)) }
        #expect(churned.count == 4000)
        #expect(churned.verifyStructure().isEmpty)
        // Consolidation freed the deleted slots and inserts reused them: the graph did not grow.
        let stats = churned.statistics
        #expect(stats.liveNodes + stats.deletedNodes + stats.freeSlots <= 4000 + 4000 / 5)

        var survivors = stride(from: 1, to: 4000, by: 2).map { original[$0] }
        survivors += replacements
        let fresh = try makeIndex(survivors, parameters: parameters)
        let churnedRecall = try recall(churned, queries: queries, k: 10, ef: 40)
        let freshRecall = try recall(fresh, queries: queries, k: 10, ef: 40)
        #expect(churnedRecall >= freshRecall - 0.02, "after churn \(churnedRecall), fresh \(freshRecall)")
    }

    @Test("update replaces the vector; the old one no longer matches")
    func update() throws {
        let data = TestData.uniform(count: 2000, dimension: 16, seed: 31)
        let index = try makeIndex(data)
        let replacement = TestData.uniform(count: 1, dimension: 16, seed: 32)[0]
        try index.update(replacement, key: 7)
        #expect(index.count == 2000)
        let hit = try index.search(replacement, k: 1)
        #expect(hit.first?.key == 7)
        #expect(try #require(hit.first).distance < 1e-5)
        let old = try index.search(data[7], k: 5)
        #expect(!old.contains { $0.key == 7 && $0.distance < 1e-5 })
        #expect(throws: HNSWError.keyNotFound(99_999)) { try index.update(replacement, key: 99_999) }
        try index.upsert(replacement, key: 99_999)
        #expect(index.contains(99_999))
        #expect(index.verifyStructure().isEmpty)
    }

    @Test("deleting everything empties the index; it accepts inserts again")
    func deleteAll() throws {
        let data = TestData.uniform(count: 500, dimension: 8, seed: 41)
        let index = try makeIndex(data)
        for key in 0..<UInt64(500) { index.remove(key) }
        index.consolidate()
        #expect(index.count == 0)
        #expect(try index.search(data[0], k: 3).isEmpty)
        #expect(index.verifyStructure().isEmpty)
        try index.insert(data[0], key: 1)
        #expect(try index.search(data[0], k: 3).map(\.key) == [1])
    }

    @Test("bad input is refused with a precise error")
    func validation() throws {
        let index = try HNSWIndex(dimension: 4)
        #expect(throws: HNSWError.dimensionMismatch(expected: 4, got: 3)) { try index.insert([1, 2, 3], key: 1) }
        #expect(throws: HNSWError.nonFiniteComponent(index: 2)) { try index.insert([1, 2, .nan, 3], key: 1) }
        #expect(throws: HNSWError.nonFiniteComponent(index: 0)) { try index.insert([.infinity, 2, 1, 3], key: 1) }
        #expect(throws: HNSWError.zeroVector) { try index.insert([0, 0, 0, 0], key: 1) }
        try index.insert([1, 0, 0, 0], key: 1)
        #expect(throws: HNSWError.duplicateKey(1)) { try index.insert([0, 1, 0, 0], key: 1) }
        #expect(throws: HNSWError.self) { try index.search([1, 0, 0, 0], k: 0) }
        #expect(throws: HNSWError.self) { try index.search([1, 0, 0, 0], k: 1, ef: 0) }
        #expect(throws: HNSWError.self) { try HNSWIndex(dimension: 4, parameters: HNSWParameters(m: 1)) }
        #expect(throws: HNSWError.self) { try HNSWIndex(dimension: 0) }
        // L2 accepts the zero vector.
        let l2 = try HNSWIndex(dimension: 2, metric: .l2)
        try l2.insert([0, 0], key: 5)
        #expect(try l2.search([0, 0], k: 1).first?.key == 5)
    }
}

@Suite("Filters and the flat mode")
struct FilterTests {
    @Test("a selective filter returns exactly the true best admitted matches")
    func selective() throws {
        let data = TestData.clustered(count: 5000, dimension: 32, clusters: 50, seed: 51)
        let index = try makeIndex(data)
        let admit: (UInt64) -> Bool = { $0 % 100 == 7 }  // 1% of the keys
        for query in TestData.clustered(count: 30, dimension: 32, clusters: 50, seed: 52) {
            let exact = try index.exactSearch(query, k: 10, filter: admit)
            let found = try index.search(query, k: 10, ef: 32, filter: admit)
            #expect(found.map(\.key) == exact.map(\.key))
            #expect(found.allSatisfy { admit($0.key) })
        }
    }

    @Test("a broad filter keeps graph recall", arguments: [2, 5])
    func broad(modulus: UInt64) throws {
        let data = TestData.clustered(count: 5000, dimension: 32, clusters: 50, seed: 61)
        let index = try makeIndex(data)
        let queries = TestData.clustered(count: 50, dimension: 32, clusters: 50, seed: 62)
        let r = try recall(index, queries: queries, k: 10, ef: 80, filter: { $0 % modulus == 0 })
        #expect(r >= 0.95, "filtered recall \(r)")
        let results = try index.search(queries[0], k: 10, filter: { $0 % modulus == 0 })
        #expect(results.count == 10 && results.allSatisfy { $0.key % modulus == 0 })
    }

    @Test("a filter that admits nothing returns nothing")
    func admitsNothing() throws {
        let index = try makeIndex(TestData.uniform(count: 3000, dimension: 8, seed: 71))
        #expect(try index.search([1, 0, 0, 0, 0, 0, 0, 0], k: 5, filter: { _ in false }).isEmpty)
    }

    @Test("below the flat threshold a search is exact; crossing it needs no rebuild")
    func flatSwitch() throws {
        let data = TestData.clustered(count: 1500, dimension: 24, clusters: 10, seed: 81)
        let index = try HNSWIndex(dimension: 24, parameters: HNSWParameters(m: 6, efConstruction: 24, flatThreshold: 1000))
        let queries = TestData.clustered(count: 20, dimension: 24, clusters: 10, seed: 82)
        for (i, vector) in data.enumerated() {
            try index.insert(vector, key: UInt64(i))
            if i == 999 {
                // Flat: identical to brute force even with ef = 1 on a deliberately weak graph.
                for query in queries {
                    #expect(try index.search(query, k: 10, ef: 1).map(\.key) == index.exactSearch(query, k: 10).map(\.key))
                }
            }
        }
        #expect(index.count == 1500)
        #expect(index.verifyStructure().isEmpty)
        let graphRecall = try recall(index, queries: queries, k: 10, ef: 200)
        #expect(graphRecall >= 0.9, "graph recall \(graphRecall) above the threshold")
    }
}
