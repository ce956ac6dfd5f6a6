import Foundation
import HNSW
import Testing
import VectorMath

/// A toy store for an index that reads its vectors elsewhere: like `MemoryStore`, it keeps every
/// node record and vector a batch's delta lists, before the batch returns, and a reader sees a
/// snapshot of what was stored when it began.
final class SlotStore: HNSWVectorSource, @unchecked Sendable {
    // @unchecked: every field is read and written with `lock` held.
    private let lock = NSLock()
    private var vectors: [UInt32: [Float]] = [:]
    private var records: [UInt32: HNSWNodeRecord] = [:]
    private var state: HNSWGraphState?
    /// Slots whose vector the reader pretends not to find (damage, for the tests).
    private var unreadable: Set<UInt32> = []
    private(set) var readersOpened = 0

    func persist(_ delta: HNSWDelta) {
        lock.withLock {
            for node in delta.nodes {
                records[node.slot] = node
                if node.state == .free { vectors[node.slot] = nil }
            }
            for stored in delta.vectors { vectors[stored.slot] = stored.vector }
            state = delta.state
        }
    }

    func load(state: HNSWGraphState, records: [HNSWNodeRecord], vectors: [UInt32: [Float]]) {
        lock.withLock {
            self.state = state
            self.records = Dictionary(uniqueKeysWithValues: records.map { ($0.slot, $0) })
            self.vectors = vectors
        }
    }

    func hide(_ slot: UInt32) { lock.withLock { _ = unreadable.insert(slot) } }

    var persisted: (state: HNSWGraphState?, records: [HNSWNodeRecord], vectors: [UInt32: [Float]]) {
        lock.withLock { (state, Array(records.values), vectors) }
    }

    struct Reader: HNSWVectorReader {
        let vectors: [UInt32: [Float]]
        let unreadable: Set<UInt32>

        func copyVector(slot: UInt32, into destination: UnsafeMutablePointer<Float>) -> Bool {
            guard !unreadable.contains(slot), let vector = vectors[slot] else { return false }
            vector.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: $0.count) }
            return true
        }
    }

    func withReader<R>(_ body: (any HNSWVectorReader) throws(HNSWError) -> R) throws(HNSWError) -> R {
        let reader = lock.withLock {
            readersOpened += 1
            return Reader(vectors: vectors, unreadable: unreadable)
        }
        return try body(reader)
    }
}

/// A store that cannot be read at all.
struct BrokenStore: HNSWVectorSource {
    func withReader<R>(_ body: (any HNSWVectorReader) throws(HNSWError) -> R) throws(HNSWError) -> R {
        throw .vectorSourceUnavailable("disk on fire")
    }
}

@Suite("Vectors read from a store: only links and codes in memory")
struct VectorSourceTests {
    static let parameters = HNSWParameters(m: 12, efConstruction: 80, flatThreshold: 0, consolidationFraction: 0.2,
                                           quantization: .int8)

    /// The same writes against an index holding its floats and one reading them from `store`.
    struct Twins {
        let inMemory: HNSWIndex
        let fromStore: HNSWIndex
        let store = SlotStore()

        init(dimension: Int, metric: Metric, parameters: HNSWParameters) throws {
            inMemory = try HNSWIndex(dimension: dimension, metric: metric, parameters: parameters)
            fromStore = try HNSWIndex(dimension: dimension, metric: metric, parameters: parameters, vectorSource: store)
        }

        func write(_ body: (inout HNSWWriteBatch) throws -> Void) throws {
            try inMemory.write { batch in try body(&batch) }
            try fromStore.write { batch in
                try body(&batch)
                store.persist(batch.delta())
            }
        }
    }

    @Test("the same writes build the same graph and the same answers as floats in memory",
          arguments: [Metric.cosine, .l2])
    func sameAnswers(metric: Metric) throws {
        let data = TestData.clustered(count: 2600, dimension: 32, clusters: 20, seed: 31)
        let queries = TestData.clustered(count: 60, dimension: 32, clusters: 20, seed: 32)
        let twins = try Twins(dimension: 32, metric: metric, parameters: Self.parameters)
        for start in stride(from: 0, to: 2000, by: 250) {
            try twins.write { batch in
                for i in start..<start + 250 { try batch.insert(data[i], key: UInt64(i)) }
            }
        }
        // Updates, removes and a consolidation, interleaved with single inserts.
        for i in 2000..<2600 {
            try twins.write { batch in
                try batch.insert(data[i], key: UInt64(i))
                if i % 3 == 0 { try batch.update(data[i - 1000], key: UInt64(i - 2000)) }
                if i % 4 == 0 { batch.remove(UInt64(i - 1000)) }
            }
            if twins.inMemory.needsConsolidation { try twins.write { batch in batch.consolidate() } }
        }
        try twins.write { batch in batch.consolidate() }
        #expect(twins.fromStore.traversesCodes)
        #expect(twins.fromStore.statistics.deletedNodes == 0)
        #expect(twins.fromStore.statistics.freeSlots == twins.inMemory.statistics.freeSlots)
        #expect(twins.fromStore.statistics.freeSlots > 0, "the consolidation freed slots")
        #expect(twins.fromStore.verifyStructure().isEmpty)
        for query in queries {
            #expect(try twins.fromStore.search(query, k: 10, ef: 48) == twins.inMemory.search(query, k: 10, ef: 48))
            let even: (UInt64) -> Bool = { $0 % 2 == 0 }
            #expect(try twins.fromStore.search(query, k: 5, filter: even) == twins.inMemory.search(query, k: 5, filter: even))
            let (found, exact) = (try twins.fromStore.exactSearch(query, k: 5), try twins.inMemory.exactSearch(query, k: 5))
            #expect(found.map(\.key) == exact.map(\.key), "one sgemv and separate dot products may round differently")
        }
        #expect(try twins.fromStore.encoded() == twins.inMemory.encoded(), "same graph, codes and vectors")
        #expect(twins.fromStore.vector(for: 7) == twins.inMemory.vector(for: 7))
        let nodes: [(key: UInt64, slot: UInt32)] = (0..<20).compactMap { key in
            twins.inMemory.slot(for: UInt64(key)).map { (UInt64(key), $0) }
        }
        #expect(try twins.fromStore.distances(queries[0], nodes: nodes) == twins.inMemory.distances(queries[0], nodes: nodes))

        let (memory, store) = (twins.inMemory.statistics, twins.fromStore.statistics)
        #expect(memory.vectorsInMemory && !store.vectorsInMemory)
        // 192-byte blocks (header, 24 links, 32 codes) instead of 320 (and 128 bytes of floats).
        #expect(store.allocatedBytes * 3 < memory.allocatedBytes * 2, "\(store.allocatedBytes) against \(memory.allocatedBytes)")
    }

    @Test("small indexes scan the stored vectors exactly, and a rolled-back batch leaves nothing behind")
    func flatScanAndRollback() throws {
        let data = TestData.clustered(count: 300, dimension: 16, clusters: 6, seed: 41)
        let parameters = HNSWParameters(flatThreshold: 1000, quantization: .int8)
        let twins = try Twins(dimension: 16, metric: .cosine, parameters: parameters)
        try twins.write { batch in
            for (i, vector) in data.enumerated() { try batch.insert(vector, key: UInt64(i)) }
        }
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try twins.fromStore.write { batch in
                try batch.insert(data[0], key: 999)
                throw Refused()
            }
        }
        for query in data.prefix(20) {
            let (found, exact) = (try twins.fromStore.search(query, k: 7), try twins.inMemory.exactSearch(query, k: 7))
            // The same neighbours; one sgemv and separate dot products may round differently.
            #expect(found.map(\.key) == exact.map(\.key))
            #expect(zip(found, exact).allSatisfy { abs($0.distance - $1.distance) < 1e-5 }, "\(found) \(exact)")
        }
        #expect(twins.fromStore.count == 300)
        // The next write takes the rolled-back slot with no trace of the vector it held.
        try twins.write { batch in try batch.insert(data[1], key: 1000) }
        #expect(try twins.fromStore.encoded() == twins.inMemory.encoded())
    }

    @Test("an unreadable vector is never returned and never crashes; a broken store is an error")
    func unreadableVectors() throws {
        let data = TestData.clustered(count: 1500, dimension: 24, clusters: 10, seed: 51)
        let twins = try Twins(dimension: 24, metric: .cosine, parameters: Self.parameters)
        try twins.write { batch in
            for (i, vector) in data.enumerated() { try batch.insert(vector, key: UInt64(i)) }
        }
        let hidden = try #require(twins.fromStore.slot(for: 3))
        twins.store.hide(hidden)
        let results = try twins.fromStore.search(data[3], k: 10, ef: 64)
        #expect(!results.contains { $0.key == 3 })
        #expect(results.count == 10)
        #expect(try !twins.fromStore.exactSearch(data[3], k: 10).contains { $0.key == 3 })
        // Writes go on around it.
        try twins.fromStore.write { batch in
            try batch.insert(data[3], key: 5000)
            twins.store.persist(batch.delta())
        }
        #expect(try twins.fromStore.search(data[3], k: 1).first?.key == 5000)

        let broken = try HNSWIndex(dimension: 24, parameters: Self.parameters, vectorSource: BrokenStore())
        #expect(throws: HNSWError.vectorSourceUnavailable("disk on fire")) {
            try broken.write { batch in try batch.insert(data[0], key: 1) }
        }
        #expect(broken.count == 0, "the failed insert rolled back")
        #expect(try broken.search(data[0], k: 1).isEmpty, "an empty index needs no vectors")
    }

    @Test("restored from the store's records, it answers as before and keeps only codes")
    func restoreFromStore() throws {
        let data = TestData.clustered(count: 1800, dimension: 20, clusters: 12, seed: 61)
        let twins = try Twins(dimension: 20, metric: .l2, parameters: Self.parameters)
        for start in stride(from: 0, to: 1800, by: 300) {
            try twins.write { batch in
                for i in start..<start + 300 { try batch.insert(data[i], key: UInt64(i)) }
                if start > 0 { batch.remove(UInt64(start - 7)) }
            }
        }
        let persisted = twins.store.persisted
        let restored = try HNSWIndex.restore(
            dimension: 20, metric: .l2, parameters: Self.parameters, state: try #require(persisted.state),
            records: persisted.records, vectorSource: twins.store, vector: { persisted.vectors[$0] })
        #expect(restored.traversesCodes && !restored.statistics.vectorsInMemory)
        for query in data.suffix(40) {
            #expect(try restored.search(query, k: 10) == twins.inMemory.search(query, k: 10))
        }
    }
}

extension VectorSourceTests {
    @Test("an index built in memory moves its vectors out and goes on as before")
    func moveVectorsOut() throws {
        let data = TestData.clustered(count: 1600, dimension: 24, clusters: 10, seed: 71)
        let built = try makeIndex(Array(data.prefix(1500)), parameters: Self.parameters)
        let removed = try #require(built.vector(for: 4))
        built.remove(4)
        let store = SlotStore()
        // The store holds what the built index holds, slot for slot (deleted nodes included).
        let (state, records) = built.snapshot()
        var vectors: [UInt32: [Float]] = [:]
        for record in records where record.state != .free {
            vectors[record.slot] = record.state == .deleted ? removed : try #require(built.vector(for: record.key))
        }
        store.load(state: state, records: records, vectors: vectors)
        let moved = try built.movingVectors(to: store)
        #expect(!moved.statistics.vectorsInMemory && moved.traversesCodes)
        #expect(throws: HNSWError.self) { try moved.movingVectors(to: store) }
        #expect(try moved.encoded() == built.encoded())
        for query in data.suffix(30) { #expect(try moved.search(query, k: 10) == built.search(query, k: 10)) }
        // Both go on independently and alike.
        for i in 1500..<1600 {
            try built.insert(data[i], key: UInt64(i))
            try moved.write { batch in
                try batch.insert(data[i], key: UInt64(i))
                store.persist(batch.delta())
            }
        }
        for query in data.suffix(30) { #expect(try moved.search(query, k: 10) == built.search(query, k: 10)) }
    }
}
