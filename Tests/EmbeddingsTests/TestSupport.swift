import Foundation
import Testing
@testable import Embeddings

/// Where the tests find the model and fixtures.
enum TestSupport {
    /// The package root, derived from this file's path (`Tests/EmbeddingsTests/…`).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `ENGRAM_MODEL_DIR`, else `<package root>/.cache/models/all-MiniLM-L6-v2` (where
    /// `scripts/fetch-model.sh` puts it by default).
    static var modelDirectory: String {
        if let path = ProcessInfo.processInfo.environment["ENGRAM_MODEL_DIR"], !path.isEmpty { return path }
        return packageRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path
    }

    static let missingModelMessage = """
        The all-MiniLM-L6-v2 model is missing from \(modelDirectory). \
        Run scripts/fetch-model.sh (or set ENGRAM_MODEL_DIR to a directory holding \
        model.safetensors, vocab.txt and config.json).
        """

    /// Fails the calling test with a clear message when the model is not installed.
    static func requireModelDirectory(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let directory = modelDirectory
        let present = ["model.safetensors", "vocab.txt", "config.json"].allSatisfy {
            FileManager.default.fileExists(atPath: directory + "/" + $0)
        }
        try #require(present, Comment(rawValue: missingModelMessage), sourceLocation: sourceLocation)
        return directory
    }

    /// One line of `Fixtures/cases.jsonl`.
    struct GoldenCase: Decodable, Sendable {
        let text: String
        let ids: [Int32]
        let embedding: [Float]
    }

    /// The 288 golden cases (reference tokenizer and sentence-transformers output).
    static let goldenCases: [GoldenCase] = loadJSONLines("cases")

    static func loadJSONLines<T: Decodable>(_ name: String) -> [T] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "jsonl", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else {
            Issue.record("fixture Fixtures/\(name).jsonl is missing from the test bundle")
            return []
        }
        let decoder = JSONDecoder()
        var result: [T] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            do {
                result.append(try decoder.decode(T.self, from: Data(line)))
            } catch {
                Issue.record("cannot decode a line of Fixtures/\(name).jsonl: \(error)")
            }
        }
        return result
    }

    /// Shared tokenizer from the installed model (loaded once).
    static let tokenizer: Result<BertTokenizer, any Error> = Result {
        try BertTokenizer(vocabularyPath: modelDirectory + "/vocab.txt")
    }

    /// Shared embedder from the installed model (loaded once; it is thread-safe).
    static let embedder: Result<MiniLMEmbedder, EmbeddingError> = Result {
        () throws(EmbeddingError) -> MiniLMEmbedder in try MiniLMEmbedder(modelDirectory: modelDirectory)
    }

    static func requireEmbedder(sourceLocation: SourceLocation = #_sourceLocation) throws -> MiniLMEmbedder {
        _ = try requireModelDirectory(sourceLocation: sourceLocation)
        return try embedder.get()
    }

    /// Largest absolute component difference. - Precondition: equal lengths.
    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var worst: Float = 0
        for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
        return worst
    }

    static func requireTokenizer(sourceLocation: SourceLocation = #_sourceLocation) throws -> BertTokenizer {
        _ = try requireModelDirectory(sourceLocation: sourceLocation)
        return try tokenizer.get()
    }
}
