import CQuantKernels
import Foundation
import HNSW
import Testing
import VectorMath

@Suite("Quantized traversal: int8 codes, integer kernels, exact re-ranking")
struct QuantizationTests {
    static let int8 = HNSWParameters(flatThreshold: 0, quantization: .int8)
    static let float = HNSWParameters(flatThreshold: 0, quantization: .none)

    @Test("every kernel this CPU runs gives the portable kernel's exact sum")
    func kernelsAgree() throws {
        let portable = try #require(engram_u8s8_dot_kernel_named("portable"))
        let chosen = String(cString: engram_u8s8_dot_kernel_name())
        #expect(["avx512-vnni", "avx2", "portable"].contains(chosen))
        #expect(HNSWIndex.quantizedKernelName == chosen)
        #expect(engram_u8s8_dot_kernel_named("no-such-kernel") == nil)
        var random = TestRandom(seed: 11)
        let lengths = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 384, 1000]
        for name in ["avx2", "avx512-vnni", "portable"] {
            guard let kernel = engram_u8s8_dot_kernel_named(name) else { continue }
            for n in lengths {
                var codes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) }
                var weights = (0..<n).map { _ in Int8.random(in: -127...127, using: &random) }
                #expect(kernel(codes, weights, Int32(n)) == portable(codes, weights, Int32(n)), "\(name), n = \(n)")
                // The extremes: the largest magnitudes a sum can reach, both signs.
                codes = [UInt8](repeating: 255, count: n)
                weights = [Int8](repeating: -127, count: n)
                #expect(kernel(codes, weights, Int32(n)) == Int32(-255 * 127 * n), "\(name), n = \(n), negative extreme")
                weights = [Int8](repeating: 127, count: n)
                #expect(kernel(codes, weights, Int32(n)) == Int32(255 * 127 * n), "\(name), n = \(n), positive extreme")
            }
        }
    }

    @Test("codes are trained at 1,024 nodes; results keep exact distances and the float index's recall",
          arguments: [Metric.cosine, .l2])
    func trainingAndRecall(metric: Metric) throws {
        let data = TestData.clustered(count: 3000, dimension: 48, clusters: 30, seed: 21)
        let queries = TestData.clustered(count: 100, dimension: 48, clusters: 30, seed: 22)
        let quantized = try HNSWIndex(dimension: 48, metric: metric, parameters: Self.int8)
        for (i, vector) in data.prefix(1000).enumerated() { try quantized.insert(vector, key: UInt64(i)) }
        #expect(!quantized.traversesCodes)
        for (i, vector) in data.enumerated().dropFirst(1000) { try quantized.insert(vector, key: UInt64(i)) }
        #expect(quantized.traversesCodes)
        #expect(quantized.statistics.traversesCodes)
        #expect(quantized.verifyStructure().isEmpty)

        let floats = try makeIndex(data, metric: metric, parameters: Self.float)
        #expect(!floats.traversesCodes)
        let quantizedRecall = try recall(quantized, queries: queries, k: 10, ef: 64)
        let floatRecall = try recall(floats, queries: queries, k: 10, ef: 64)
        #expect(quantizedRecall >= 0.95, "int8 recall@10 \(quantizedRecall)")
        #expect(quantizedRecall >= floatRecall - 0.02, "int8 \(quantizedRecall) against float \(floatRecall)")

        // Every returned distance is the exact one (re-ranked on the floats), not the codes'.
        for query in queries.prefix(20) {
            let results = try quantized.search(query, k: 10, ef: 64)
            let exact = try quantized.exactSearch(query, k: 3000)
            let exactDistance = Dictionary(uniqueKeysWithValues: exact.map { ($0.key, $0.distance) })
            for result in results {
                let expected = try #require(exactDistance[result.key])
                #expect(abs(result.distance - expected) <= 1e-4 * max(1, abs(expected)), "key \(result.key)")
            }
            #expect(zip(results, results.dropFirst()).allSatisfy { $0.distance <= $1.distance })
        }
    }

    @Test("the re-rank depth is at least k and must be positive")
    func rerankDepth() throws {
        let data = TestData.clustered(count: 1500, dimension: 32, clusters: 15, seed: 31)
        let index = try makeIndex(data, parameters: Self.int8)
        #expect(index.traversesCodes)
        #expect(throws: HNSWError.invalidArgument("rerank must be at least 1, got 0")) {
            try index.search(data[0], k: 10, ef: 64, rerank: 0)
        }
        let shallow = try index.search(data[0], k: 10, ef: 64, rerank: 1)
        #expect(shallow.count == 10)
        #expect(shallow.first?.key == 0)
        let full = try index.search(data[0], k: 10, ef: 64)
        // Re-scoring all 64 candidates can only find better or equal neighbours than re-scoring
        // the 10 the codes ranked best.
        #expect(full.last!.distance <= shallow.last!.distance + 1e-6)
    }

    @Test("codes are retrained as the graph grows, so data outside the first ranges stays searchable")
    func retrainingFollowsTheData() throws {
        // The first 1,024 vectors lie near the origin; the next 4,000 far away along every
        // axis. Codes trained on the first alone would clamp the later ones into one corner.
        let near = TestData.clustered(count: 1024, dimension: 24, clusters: 8, seed: 41)
        let far = TestData.clustered(count: 4000, dimension: 24, clusters: 40, seed: 42).map { $0.map { $0 + 20 } }
        let queries = TestData.clustered(count: 60, dimension: 24, clusters: 40, seed: 43).map { $0.map { $0 + 20 } }
        let index = try makeIndex(near + far, metric: .l2, parameters: HNSWParameters(flatThreshold: 0, quantization: .int8))
        let r = try recall(index, queries: queries, k: 10, ef: 64)
        #expect(r >= 0.95, "recall@10 \(r) on the data added after the first training")
    }

    @Test("the codec and the records keep the quantization; codes are trained again on loading")
    func persistence() throws {
        let data = TestData.clustered(count: 1400, dimension: 32, clusters: 14, seed: 51)
        let queries = TestData.clustered(count: 30, dimension: 32, clusters: 14, seed: 52)
        let index = try makeIndex(data, parameters: Self.int8)
        let decoded = try HNSWIndex.decode(try index.encoded())
        #expect(decoded.parameters.quantization == .int8)
        #expect(decoded.traversesCodes)
        let (state, nodes) = index.snapshot()
        let restored = try HNSWIndex.restore(
            dimension: 32, metric: .cosine, parameters: Self.int8, state: state, records: nodes,
            vector: { index.vector(for: UInt64($0)) })
        #expect(restored.traversesCodes)
        for copy in [decoded, restored] {
            let r = try recall(copy, queries: queries, k: 10, ef: 64)
            #expect(r >= 0.95, "recall@10 \(r) after loading")
        }
        let plain = try HNSWIndex.decode(try makeIndex(Array(data.prefix(1100)), parameters: Self.float).encoded())
        #expect(plain.parameters.quantization == .none)
        #expect(!plain.traversesCodes)
    }

    @Test("parameters stored before quantization existed decode as none; new ones default to int8")
    func parameterCompatibility() throws {
        let old = #"{"m":16,"efConstruction":200,"efSearch":64,"flatThreshold":1024,"consolidationFraction":0.1,"seed":1}"#
        let decoded = try JSONDecoder().decode(HNSWParameters.self, from: Data(old.utf8))
        #expect(decoded.quantization == .none)
        #expect(HNSWParameters().quantization == .int8)
        let roundTrip = try JSONDecoder().decode(HNSWParameters.self, from: JSONEncoder().encode(Self.int8))
        #expect(roundTrip == Self.int8)
    }

    @Test("huge and tiny components neither trap nor break the search")
    func hostileMagnitudes() throws {
        var data = TestData.uniform(count: 1200, dimension: 16, seed: 61)
        data[5] = [Float](repeating: 1e18, count: 16)
        data[6] = [Float](repeating: -1e18, count: 16)
        data[7] = [Float](repeating: 1e-15, count: 16)
        for metric in [Metric.l2, .cosine] {
            let index = try makeIndex(data, metric: metric, parameters: Self.int8)
            #expect(index.traversesCodes)
            for query in [data[0], data[5], data[7], [Float](repeating: 3e18, count: 16), [Float](repeating: 1e-15, count: 16)] {
                let results = try index.search(query, k: 5, ef: 32)
                #expect(results.count == 5)
                #expect(results.allSatisfy { $0.distance.isFinite })
            }
            #expect(try index.search(data[5], k: 1).first?.key == 5)
        }
    }
}

@Suite("Graph reordering (the engram-ann locality experiment)")
struct ReorderTests {
    @Test("renumbering breadth-first keeps the graph valid and every search's answer", arguments: VectorQuantization.allCases)
    func breadthFirstKeepsAnswers(quantization: VectorQuantization) throws {
        let data = TestData.clustered(count: 2500, dimension: 32, clusters: 25, seed: 71)
        let queries = TestData.clustered(count: 30, dimension: 32, clusters: 25, seed: 72)
        let index = try makeIndex(data, parameters: HNSWParameters(flatThreshold: 0, quantization: quantization))
        for key in stride(from: UInt64(0), to: 2500, by: 7) { _ = index.remove(key) }  // deleted nodes and free slots too
        let before = try queries.map { try index.search($0, k: 10, ef: 64) }
        let slotsBefore = (0..<UInt64(2500)).map { index.slot(for: $0) }
        index.reorderBreadthFirst()
        #expect(index.verifyStructure().isEmpty)
        let after = try queries.map { try index.search($0, k: 10, ef: 64) }
        #expect(before == after)
        #expect((0..<UInt64(2500)).map { index.slot(for: $0) } != slotsBefore)
        // Writes go on afterwards.
        try index.insert(data[0], key: 0)
        #expect(try index.search(data[0], k: 1).first?.key == 0)
        #expect(index.verifyStructure().isEmpty)
    }
}

@Suite("4-bit codes: packed kernels, recall, persistence")
struct FourBitQuantizationTests {
    static let int4 = HNSWParameters(flatThreshold: 0, quantization: .int4)

    @Test("every 4-bit kernel this CPU runs gives the unpacked sum exactly, at odd and even lengths")
    func kernelsAgree() throws {
        let bytes = try #require(engram_u8s8_dot_kernel_named("portable"))
        var random = TestRandom(seed: 17)
        for n in [0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 384, 1001] {
            let codes = (0..<n).map { _ in UInt8.random(in: 0...15, using: &random) }
            let weights = (0..<n).map { _ in Int8.random(in: -127...127, using: &random) }
            let half = (n + 1) / 2
            let packed = (0..<half).map { j in codes[j] | (j + half < n ? codes[j + half] << 4 : 0) }
            let expected = bytes(codes, weights, Int32(n))
            for name in ["avx2", "avx512-vnni", "portable"] {
                guard let kernel = engram_u4s8_dot_kernel_named(name) else { continue }
                #expect(kernel(packed, weights, Int32(n)) == expected, "\(name), n = \(n)")
            }
            #expect(engram_u4s8_dot_kernel()(packed, weights, Int32(n)) == expected)
        }
    }

    @Test("4-bit traversal keeps exact distances and, re-ranking every candidate, most of the recall",
          arguments: [Metric.cosine, .l2])
    func recallAndExactDistances(metric: Metric) throws {
        let data = TestData.clustered(count: 3000, dimension: 48, clusters: 30, seed: 21)
        let queries = TestData.clustered(count: 100, dimension: 48, clusters: 30, seed: 22)
        let index = try makeIndex(data, metric: metric, parameters: Self.int4)
        #expect(index.traversesCodes)
        #expect(index.verifyStructure().isEmpty)
        let r = try recall(index, queries: queries, k: 10, ef: 96)
        #expect(r >= 0.9, "int4 recall@10 \(r)")
        for query in queries.prefix(10) {
            let exact = Dictionary(uniqueKeysWithValues: try index.exactSearch(query, k: 3000).map { ($0.key, $0.distance) })
            for result in try index.search(query, k: 10, ef: 96) {
                let expected = try #require(exact[result.key])
                #expect(abs(result.distance - expected) <= 1e-4 * max(1, abs(expected)))
            }
        }
        let int8 = try makeIndex(data, metric: metric, parameters: QuantizationTests.int8)
        // Half the code bytes: smaller blocks than int8 (the floats are the same).
        #expect(index.statistics.allocatedBytes < int8.statistics.allocatedBytes)
        let decoded = try HNSWIndex.decode(try index.encoded())
        #expect(decoded.parameters.quantization == .int4 && decoded.traversesCodes)
        #expect(try decoded.search(queries[0], k: 10, ef: 96) == index.search(queries[0], k: 10, ef: 96))
    }
}
