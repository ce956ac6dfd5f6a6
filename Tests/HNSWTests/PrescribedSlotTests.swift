import HNSW
import Testing

/// `HNSWWriteBatch.insert(_:key:slot:)`: building a graph with a given slot layout (what a
/// store's online rebuild needs, since it keys vectors by slot).
@Suite("Inserts into prescribed slots")
struct PrescribedSlotTests {
    @Test("a slot past the end leaves free slots behind it, which later inserts take lowest first")
    func slotPastTheEnd() throws {
        let data = TestData.clustered(count: 40, dimension: 16, clusters: 4, seed: 7)
        let index = try HNSWIndex(dimension: 16, parameters: HNSWParameters(m: 8, efConstruction: 32, flatThreshold: 0))
        try index.write { batch in try batch.insert(data[0], key: 100, slot: 5) }
        #expect(index.slot(for: 100) == 5)
        #expect(index.statistics.freeSlots == 5)
        try index.insert(data[1], key: 101)
        #expect(index.slot(for: 101) == 0)
        // An occupied slot is refused; so is a free one for a key already present.
        #expect(throws: HNSWError.slotInUse(0)) { try index.write { batch in try batch.insert(data[2], key: 102, slot: 0) } }
        #expect(throws: HNSWError.duplicateKey(101)) { try index.write { batch in try batch.insert(data[2], key: 101, slot: 3) } }
        try index.write { batch in try batch.insert(data[2], key: 102, slot: 3) }
        #expect(index.slot(for: 102) == 3)
        #expect(index.verifyStructure().isEmpty)
        #expect(try index.search(data[2], k: 1).first?.key == 102)
    }

    @Test("a rolled-back batch takes its skipped slots back")
    func rollback() throws {
        let data = TestData.clustered(count: 20, dimension: 16, clusters: 2, seed: 8)
        let index = try HNSWIndex(dimension: 16, parameters: HNSWParameters(m: 8, efConstruction: 32, flatThreshold: 0))
        try index.insert(data[0], key: 1)
        let before = try index.encoded()
        #expect(throws: Aborted.self) {
            try index.write { batch in
                try batch.insert(data[1], key: 2, slot: 9)
                throw Aborted()
            }
        }
        #expect(try index.encoded() == before)
        #expect(index.statistics.freeSlots == 0)
        try index.insert(data[1], key: 2)
        #expect(index.slot(for: 2) == 1)
    }

    @Test("a graph rebuilt into the same slots answers like the original and restores from its records")
    func sameLayout() throws {
        let data = TestData.clustered(count: 3000, dimension: 24, clusters: 20, seed: 9)
        let parameters = HNSWParameters(m: 12, efConstruction: 80, flatThreshold: 0)
        let original = try HNSWIndex(dimension: 24, parameters: parameters)
        for (i, vector) in data.enumerated() { try original.insert(vector, key: UInt64(i)) }
        for key in stride(from: 0, to: 3000, by: 7) { original.remove(UInt64(key)) }
        original.consolidate()
        let (_, records) = original.snapshot()
        let rebuilt = try HNSWIndex(dimension: 24, parameters: parameters)
        try rebuilt.write { batch in
            for record in records where record.state == .live {
                try batch.insert(data[Int(record.key)], key: record.key, slot: record.slot)
            }
        }
        #expect(rebuilt.count == original.count)
        for record in records where record.state == .live { #expect(rebuilt.slot(for: record.key) == record.slot) }
        #expect(rebuilt.verifyStructure().isEmpty)
        var hits = 0, tried = 0
        for key in stride(from: 1, to: 3000, by: 31) where key % 7 != 0 {
            tried += 1
            if try rebuilt.search(data[key], k: 1).first?.key == UInt64(key) { hits += 1 }
        }
        #expect(hits >= tried * 95 / 100)
        let (state, rebuiltRecords) = rebuilt.snapshot()
        let restored = try HNSWIndex.restore(dimension: 24, metric: .cosine, parameters: parameters, state: state,
                                             records: rebuiltRecords) { slot in
            // The stored (normalised) vectors, as a store would hand them back.
            rebuiltRecords.first { $0.slot == slot }.flatMap { rebuilt.vector(for: $0.key) }
        }
        #expect(try restored.search(data[10], k: 10) == rebuilt.search(data[10], k: 10))
    }
}
