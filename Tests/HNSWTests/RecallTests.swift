import HNSW
import Testing
import VectorMath

@Suite("Recall against brute force")
struct RecallTests {
    @Test("clustered synthetic data, cosine and L2", arguments: [Metric.cosine, .l2])
    func clustered(metric: Metric) throws {
        let data = TestData.clustered(count: 4000, dimension: 48, clusters: 40, seed: 7)
        let queries = TestData.clustered(count: 100, dimension: 48, clusters: 40, seed: 8)
        let index = try makeIndex(data, metric: metric)
        #expect(index.count == 4000)
        #expect(index.verifyStructure().isEmpty)
        let r = try recall(index, queries: queries, k: 10, ef: 100)
        #expect(r >= 0.95, "recall@10 \(r) at ef=100")
    }

    @Test("development dataset (real MiniLM embeddings)", .enabled(if: TestData.devDatasetAvailable))
    func devDataset() throws {
        let (base, queries) = try #require(TestData.devDataset(limit: 5000))
        let index = try makeIndex(base)
        let r = try recall(index, queries: queries, k: 10, ef: 64)
        #expect(r >= 0.95, "recall@10 \(r) at ef=64")
    }

    @Test("results are sorted, unique, at most k, and distances are exact")
    func resultShape() throws {
        let data = TestData.uniform(count: 2000, dimension: 16, seed: 3)
        let index = try makeIndex(data)
        for query in data.prefix(20) {
            let results = try index.search(query, k: 15, ef: 50)
            #expect(results.count == 15)
            #expect(Set(results.map(\.key)).count == results.count)
            #expect(zip(results, results.dropFirst()).allSatisfy { $0.distance <= $1.distance })
            let stored = try #require(index.vector(for: results[0].key))
            let expected = 1 - Kernels.dot(Kernels.normalized(query), stored)
            #expect(abs(results[0].distance - expected) < 1e-5)
        }
        // A stored vector is its own nearest neighbour.
        let top = try index.search(data[123], k: 1)
        #expect(top.first?.key == 123)
    }

    @Test("k larger than the index returns every vector")
    func smallIndex() throws {
        let data = TestData.uniform(count: 30, dimension: 8, seed: 4)
        let index = try makeIndex(data, parameters: HNSWParameters(flatThreshold: 0))
        #expect(try index.search(data[0], k: 100).count == 30)
        let empty = try HNSWIndex(dimension: 8)
        #expect(try empty.search(data[0], k: 5).isEmpty)
    }
}
