import HNSW
import Testing

@Suite("Codec")
struct CodecTests {
    func sampleIndex() throws -> HNSWIndex {
        let data = TestData.clustered(count: 1200, dimension: 16, clusters: 12, seed: 91)
        let index = try makeIndex(data, parameters: HNSWParameters(m: 8, efConstruction: 40, flatThreshold: 0, consolidationFraction: 0.5))
        for key in stride(from: UInt64(0), to: 1200, by: 7) { index.remove(key) }
        return index
    }

    @Test("round trip keeps results, counts and further writes working")
    func roundTrip() throws {
        let index = try sampleIndex()
        let bytes = try index.encoded()
        let decoded = try HNSWIndex.decode(bytes)
        #expect(decoded.count == index.count)
        #expect(decoded.statistics.deletedNodes == index.statistics.deletedNodes)
        #expect(decoded.parameters == index.parameters)
        for query in TestData.uniform(count: 20, dimension: 16, seed: 92) {
            #expect(try decoded.search(query, k: 10, ef: 50) == index.search(query, k: 10, ef: 50))
        }
        #expect(try decoded.encoded() == bytes, "encoding is deterministic")
        // The decoded index accepts writes; deleted keys are gone, live ones are present.
        #expect(!decoded.contains(0))
        #expect(decoded.contains(1))
        try decoded.insert([Float](repeating: 1, count: 16), key: 50_000)
        decoded.consolidate()
        #expect(decoded.verifyStructure().isEmpty)
    }

    @Test("every truncation throws")
    func truncated() throws {
        let bytes = try sampleIndex().encoded()
        for length in Array(0..<200) + stride(from: 200, to: bytes.count, by: 997) + [bytes.count - 1] {
            #expect(throws: HNSWCodecError.self) { try HNSWIndex.decode(Array(bytes.prefix(length))) }
        }
    }

    @Test("corrupted bytes throw, never crash")
    func corrupted() throws {
        let bytes = try sampleIndex().encoded()
        var random = TestRandom(seed: 93)
        for _ in 0..<200 {
            var damaged = bytes
            let position = Int.random(in: 0..<damaged.count, using: &random)
            damaged[position] ^= UInt8.random(in: 1...255, using: &random)
            #expect(throws: HNSWCodecError.self) { try HNSWIndex.decode(damaged) }
        }
        #expect(throws: HNSWCodecError.notAnIndex) { try HNSWIndex.decode(Array(repeating: 0, count: 64)) }
    }

    @Test("a newer format version is refused with its own error")
    func newerVersion() throws {
        var bytes = try sampleIndex().encoded()
        bytes[8] = 99
        #expect(throws: HNSWCodecError.unsupportedVersion(99)) { try HNSWIndex.decode(bytes) }
    }
}
