import Embeddings
import EngramTestSupport
import Foundation
import MemoryEngine
import MemoryStore
import Synchronization
import Testing

extension WordHashEmbedder {
    /// The word-hash embedder at 64 dimensions, under the identifier these tests check as the
    /// namespaces' embedder.
    static var hashing64: WordHashEmbedder { WordHashEmbedder(dimension: 64, identifier: "test-hashing-64") }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_750_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// One engine over a fresh store in a temporary directory (removed afterwards).
struct Harness: Sendable {
    let engine: MemoryEngine
    let store: MemoryStore
    let clock: TestClock
    let directory: String

    /// Cosine similarity of the test embedder's vectors of two texts.
    static func similarity(_ a: String, _ b: String, embedder: WordHashEmbedder = .hashing64) -> Double {
        let x = embedder.vector(a), y = embedder.vector(b)
        let dot = zip(x, y).reduce(0) { $0 + Double($1.0 * $1.1) }
        let nx = x.reduce(0) { $0 + Double($1 * $1) }.squareRoot(), ny = y.reduce(0) { $0 + Double($1 * $1) }.squareRoot()
        return dot / (nx * ny)
    }
}

func withEngine<R>(configuration: EngineConfiguration = EngineConfiguration(), embedder: any Embedder = WordHashEmbedder.hashing64,
                   storeOptions: MemoryStoreOptions = MemoryStoreOptions(),
                   _ body: (Harness) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory.path + "/memoryengine-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let clock = TestClock()
    let store = try MemoryStore(path: directory + "/store", options: storeOptions)
    let engine = try MemoryEngine(store: store, embedder: embedder, configuration: configuration, clock: { clock.now })
    return try body(Harness(engine: engine, store: store, clock: clock, directory: directory))
}

/// The async form of ``withEngine(configuration:embedder:storeOptions:_:)``.
func withEngine<R>(configuration: EngineConfiguration = EngineConfiguration(), _ body: (Harness) async throws -> R) async throws -> R {
    let directory = FileManager.default.temporaryDirectory.path + "/memoryengine-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let clock = TestClock()
    let store = try MemoryStore(path: directory + "/store")
    let engine = try MemoryEngine(store: store, embedder: WordHashEmbedder.hashing64, configuration: configuration, clock: { clock.now })
    return try await body(Harness(engine: engine, store: store, clock: clock, directory: directory))
}

/// The engine error `body` throws, or a recorded issue when it throws none.
func engineError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> EngineError? {
    do {
        try body()
        Issue.record("expected an EngineError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as EngineError {
        return error
    } catch {
        Issue.record("expected an EngineError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The code of the engine error `body` throws.
func errorCode(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> String? {
    engineError(sourceLocation: sourceLocation, body)?.code
}

/// Where the real MiniLM model is: `ENGRAM_MODEL_DIR`, else `<package>/.cache/models/all-MiniLM-L6-v2`.
enum ModelLocation {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var directory: String {
        if let path = ProcessInfo.processInfo.environment["ENGRAM_MODEL_DIR"], !path.isEmpty { return path }
        return packageRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path
    }

    static let embedder: Result<MiniLMEmbedder, EmbeddingError> = Result {
        () throws(EmbeddingError) -> MiniLMEmbedder in try MiniLMEmbedder(modelDirectory: directory)
    }

    /// Fails the calling test with a clear message when the model is not installed.
    static func requireEmbedder(sourceLocation: SourceLocation = #_sourceLocation) throws -> MiniLMEmbedder {
        let present = ["model.safetensors", "vocab.txt", "config.json"].allSatisfy {
            FileManager.default.fileExists(atPath: directory + "/" + $0)
        }
        try #require(present, "the all-MiniLM-L6-v2 model is missing from \(directory): run scripts/fetch-model.sh or set ENGRAM_MODEL_DIR",
                     sourceLocation: sourceLocation)
        return try embedder.get()
    }
}
