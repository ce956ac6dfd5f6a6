import Foundation
import Synchronization
import Testing
@testable import Embeddings

@Suite("MiniLM embedder")
struct EmbedderTests {
    @Test func vectorsAreUnitLengthAndFinite() throws {
        let embedder = try TestSupport.requireEmbedder()
        #expect(embedder.dimension == 384)
        #expect(embedder.identifier == "sentence-transformers/all-MiniLM-L6-v2")
        for vector in try embedder.embed(["", "a", "The quick brown fox jumps over the lazy dog."]) {
            #expect(vector.count == 384)
            #expect(vector.allSatisfy { $0.isFinite })
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
        #expect(try embedder.embed([]).isEmpty)
    }

    @Test func similarTextsAreCloserThanUnrelatedOnes() throws {
        let embedder = try TestSupport.requireEmbedder()
        let vectors = try embedder.embed(["How do I parse JSON in Python?", "python json parsing library", "a recipe for apple pie"])
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2)
    }

    @Test func concurrentCallsGiveTheSameVectorsAsSequentialOnes() throws {
        let embedder = try TestSupport.requireEmbedder()
        let texts = TestSupport.goldenCases.prefix(200).map(\.text).filter { $0.utf8.count < 200 }.prefix(24).map { $0 }
        let expected = try embedder.embed(texts)
        let results = Results(count: texts.count)
        DispatchQueue.concurrentPerform(iterations: texts.count) { index in
            results.set(index, try? embedder.embed(texts[index]))
        }
        for index in texts.indices {
            let vector = try #require(results.get(index))
            #expect(TestSupport.maxAbsDifference(vector, expected[index]) <= 1e-6)
        }
        #expect(embedder.tokenizer.maximumLength == 256)
    }

    /// Thread-safe result slots for the concurrency test.
    final class Results: Sendable {
        private let slots: Mutex<[[Float]?]>
        init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
        func set(_ index: Int, _ value: [Float]?) { slots.withLock { $0[index] = value } }
        func get(_ index: Int) -> [Float]? { slots.withLock { $0[index] } }
    }

    @Test func tokenBudgetSmallerThanTheSequenceLengthIsRejected() throws {
        let directory = try TestSupport.requireModelDirectory()
        var options = MiniLMEmbedder.Options()
        options.batchTokenLimit = 100
        #expect(throws: EmbeddingError.self) { try MiniLMEmbedder(modelDirectory: directory, options: options) }
    }

    @Test func smallBatchesGiveTheSameVectors() throws {
        let directory = try TestSupport.requireModelDirectory()
        var options = MiniLMEmbedder.Options()
        options.batchTokenLimit = 256
        let small = try MiniLMEmbedder(modelDirectory: directory, options: options)
        let texts = TestSupport.goldenCases.prefix(30).map(\.text)
        let vectors = try small.embed(texts)
        for (vector, golden) in zip(vectors, TestSupport.goldenCases) {
            #expect(TestSupport.maxAbsDifference(vector, golden.embedding) <= 1e-5)
        }
    }

    @Test("both weight layouts give the reference vectors", arguments: [false, true])
    func weightLayouts(panels: Bool) throws {
        let directory = try TestSupport.requireModelDirectory()
        var options = MiniLMEmbedder.Options()
        options.weightPanels = panels
        let embedder = try MiniLMEmbedder(modelDirectory: directory, options: options)
        #expect(embedder.usesWeightPanels == panels)
        // Short texts embedded one by one: passes of up to 64 tokens, the panel path's range.
        let short = TestSupport.goldenCases.filter { $0.ids.count <= 64 }.prefix(12)
        #expect(short.count == 12)
        for golden in short {
            let vector = try embedder.embed(golden.text)
            #expect(TestSupport.maxAbsDifference(vector, golden.embedding) <= 1e-5, "\(String(reflecting: golden.text.prefix(40)))")
        }
    }

    @Test func missingModelIsAClearErrorAtInitialisation() throws {
        #expect {
            try MiniLMEmbedder(modelDirectory: "/nonexistent/model-dir")
        } throws: { error in
            guard let error = error as? EmbeddingError, case let .missingModelFile(path) = error else { return false }
            return path == "/nonexistent/model-dir" && error.description.contains("fetch-model.sh")
        }
        let source = try TestSupport.requireModelDirectory()
        let directory = try SafeTensorsTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: source + "/config.json", toPath: directory.appendingPathComponent("config.json").path)
        #expect {
            try MiniLMEmbedder(modelDirectory: directory.path)
        } throws: { error in
            guard case let .missingModelFile(path) = error as? EmbeddingError else { return false }
            return path.hasSuffix("/vocab.txt")
        }
    }

    @Test func wrongArchitectureIsRejected() throws {
        let source = try TestSupport.requireModelDirectory()
        let directory = try SafeTensorsTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["vocab.txt", "model.safetensors"] {
            try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent(name).path, withDestinationPath: source + "/" + name)
        }
        let config = try String(contentsOfFile: source + "/config.json", encoding: .utf8)
        // More layers than the weights hold: the first missing layer is named.
        try config.replacingOccurrences(of: "\"num_hidden_layers\": 6", with: "\"num_hidden_layers\": 7")
            .write(toFile: directory.appendingPathComponent("config.json").path, atomically: true, encoding: .utf8)
        #expect {
            try MiniLMEmbedder(modelDirectory: directory.path)
        } throws: { error in
            guard case let .invalidWeights(.missingTensor(_, name)) = error as? EmbeddingError else { return false }
            return name.hasPrefix("encoder.layer.6.")
        }
        try config.replacingOccurrences(of: "\"hidden_act\": \"gelu\"", with: "\"hidden_act\": \"relu\"")
            .write(toFile: directory.appendingPathComponent("config.json").path, atomically: true, encoding: .utf8)
        #expect {
            try MiniLMEmbedder(modelDirectory: directory.path)
        } throws: { error in
            guard case .invalidConfiguration = error as? EmbeddingError else { return false }
            return true
        }
    }
}
