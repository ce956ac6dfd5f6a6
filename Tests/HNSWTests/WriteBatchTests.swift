import HNSW
import Testing

struct Aborted: Error {}

@Suite("Write batches, deltas and restore")
struct WriteBatchTests {
    @Test("a batch is invisible until it commits, and a failed batch leaves no trace")
    func atomicity() throws {
        let data = TestData.clustered(count: 1500, dimension: 16, clusters: 10, seed: 111)
        let index = try makeIndex(Array(data.prefix(1000)))
        let before = try index.encoded()
        #expect(throws: Aborted.self) {
            try index.write { batch in
                for (i, vector) in data[1000...].enumerated() { try batch.insert(vector, key: 5000 + UInt64(i)) }
                let removed = batch.remove(3)
                #expect(removed)
                try batch.update(data[1400], key: 4)
                // Not visible to searches before commit.
                #expect(try index.search(data[1200], k: 1).first?.key != 5200)
                #expect(try index.search(data[3], k: 1).first?.key == 3)
                throw Aborted()
            }
        }
        #expect(index.count == 1000)
        #expect(index.contains(3) && !index.contains(5000))
        #expect(index.verifyStructure().isEmpty)
        // Rolling back restores every list, the slot count and the level generator: the index
        // serialises exactly as before.
        #expect(try index.encoded() == before)
        let (state, nodes) = index.snapshot()
        #expect(nodes.filter { $0.state == .live }.count == 1000)
        #expect(state.liveCount == 1000)
        #expect(try HNSWIndex.decode(before).search(data[10], k: 10) == index.search(data[10], k: 10))

        try index.write { batch in
            for (i, vector) in data[1000...].enumerated() { try batch.insert(vector, key: 5000 + UInt64(i)) }
        }
        #expect(index.count == 1500)
        #expect(try index.search(data[1200], k: 1).first?.key == 5200)
        #expect(try recall(index, queries: Array(data.prefix(50)), k: 10, ef: 64) >= 0.95)
    }

    @Test("persisted deltas rebuild the same index")
    func deltasRestore() throws {
        let data = TestData.clustered(count: 1200, dimension: 12, clusters: 8, seed: 121)
        let parameters = HNSWParameters(m: 8, efConstruction: 40, flatThreshold: 0, consolidationFraction: 0.2)
        let index = try HNSWIndex(dimension: 12, parameters: parameters)
        // A toy store: the latest record per slot, vectors per slot, and the graph state.
        var records: [UInt32: HNSWNodeRecord] = [:]
        var vectors: [UInt32: [Float]] = [:]
        var state: HNSWGraphState?
        func persist(_ delta: HNSWDelta) throws {
            for node in delta.nodes {
                records[node.slot] = try HNSWNodeRecord(decoding: node.encoded())
                if node.state == .free { vectors[node.slot] = nil }
            }
            for stored in delta.vectors { vectors[stored.slot] = stored.vector }
            state = try HNSWGraphState(decoding: delta.state.encoded())
        }
        for (i, vector) in data.enumerated() {
            try index.write { batch in
                try batch.insert(vector, key: UInt64(i))
                if i % 3 == 0 && i > 0 { batch.remove(UInt64(i - 1)) }
                try persist(batch.delta())
            }
            if index.needsConsolidation {
                try index.write { batch in
                    batch.consolidate()
                    try persist(batch.delta())
                }
            }
        }
        let restored = try HNSWIndex.restore(
            dimension: 12, metric: .cosine, parameters: parameters, state: try #require(state),
            records: Array(records.values), vector: { vectors[$0] })
        #expect(restored.count == index.count)
        let (a, b) = (restored.statistics, index.statistics)
        #expect(a.liveNodes == b.liveNodes && a.deletedNodes == b.deletedNodes && a.freeSlots == b.freeSlots && a.maxLevel == b.maxLevel)
        for query in data.prefix(30) {
            #expect(try restored.search(query, k: 10) == index.search(query, k: 10))
        }
        // The restored index keeps working, with the same level draws.
        try index.insert(data[0], key: 90_000)
        try restored.insert(data[0], key: 90_000)
        #expect(try restored.encoded() == index.encoded())
    }

    @Test("consolidation may share a batch with inserts and removes")
    func mixedConsolidation() throws {
        let data = TestData.clustered(count: 900, dimension: 8, clusters: 6, seed: 131)
        let index = try makeIndex(Array(data.prefix(600)), parameters: HNSWParameters(m: 6, efConstruction: 30, flatThreshold: 0, consolidationFraction: 1))
        for key in stride(from: UInt64(0), to: 600, by: 2) { index.remove(key) }
        try index.write { batch in
            for (i, vector) in data[600...].enumerated() { try batch.insert(vector, key: 1000 + UInt64(i)) }
            batch.remove(1)
            batch.consolidate()
            #expect(batch.contains(1000) && !batch.contains(1))
        }
        #expect(index.verifyStructure().isEmpty)
        #expect(index.statistics.deletedNodes == 1)
        #expect(index.count == 300 - 1 + 300)
        #expect(try recall(index, queries: Array(data.suffix(40)), k: 10, ef: 80) >= 0.9)
        let empty = try HNSWIndex(dimension: 8)
        #expect(try empty.exactSearch(data[0], k: 3).isEmpty)
    }

    @Test("damaged records and states are refused")
    func damagedRecords() throws {
        let record = HNSWNodeRecord(slot: 3, key: 42, state: .live, links: [[1, 2], [5]])
        var bytes = record.encoded()
        #expect(try HNSWNodeRecord(decoding: bytes) == record)
        bytes[9] ^= 0x40
        #expect(throws: HNSWCodecError.self) { try HNSWNodeRecord(decoding: bytes) }
        #expect(throws: HNSWCodecError.self) { try HNSWNodeRecord(decoding: Array(record.encoded().dropLast(3))) }
        #expect(throws: HNSWCodecError.self) { try HNSWGraphState(decoding: [1, 2, 3]) }
        // A record that links beyond the graph is caught by restore.
        let state = HNSWGraphState(slotCount: 1, liveCount: 1, deletedCount: 0, entryPoint: 0, maxLevel: 0, randomState: 1)
        #expect(throws: HNSWCodecError.self) {
            try HNSWIndex.restore(
                dimension: 2, metric: .cosine, parameters: HNSWParameters(), state: state,
                records: [HNSWNodeRecord(slot: 0, key: 1, state: .live, links: [[7]])], vector: { _ in [1, 0] })
        }
    }

    @Test("restore refuses graph states a handcrafted record could hold, before anything is allocated")
    func hostileGraphStates() throws {
        func restore(_ state: HNSWGraphState, _ records: [HNSWNodeRecord] = []) throws {
            _ = try HNSWIndex.restore(dimension: 2, metric: .cosine, parameters: HNSWParameters(), state: state,
                                      records: records, vector: { _ in [1, 0] })
        }
        // An entry point on a free slot at level 3: the next insert would descend from it.
        #expect(throws: HNSWCodecError.self) {
            try restore(HNSWGraphState(slotCount: 1, liveCount: 0, deletedCount: 0, entryPoint: 0, maxLevel: 3, randomState: 1))
        }
        // An entry point below the top level.
        #expect(throws: HNSWCodecError.self) {
            try restore(HNSWGraphState(slotCount: 1, liveCount: 1, deletedCount: 0, entryPoint: 0, maxLevel: 2, randomState: 1),
                        [HNSWNodeRecord(slot: 0, key: 1, state: .live, links: [[]])])
        }
        // More slots than any machine holds.
        #expect(throws: HNSWCodecError.self) {
            try restore(HNSWGraphState(slotCount: Int(UInt32.max) - 2, liveCount: 0, deletedCount: 0, entryPoint: nil,
                                       maxLevel: -1, randomState: 1))
        }
        // A sound one still restores.
        try restore(HNSWGraphState(slotCount: 1, liveCount: 1, deletedCount: 0, entryPoint: 0, maxLevel: 0, randomState: 1),
                    [HNSWNodeRecord(slot: 0, key: 1, state: .live, links: [[]])])
    }
}
