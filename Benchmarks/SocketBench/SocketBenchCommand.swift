import ArgumentParser
import Embeddings
import Foundation
import HNSW
import Logging
import MemoryEngine
import MemoryStore
import VectorMath

/// `engram-socket-bench`: `measure` (the default) runs the benchmark, `prepare` turns a
/// JSON Lines text corpus into a TEXMEX dataset with the built-in embedder.
struct SocketBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engram-socket-bench",
        abstract: "Engram's socket benchmark and its dataset preparation.",
        subcommands: [MeasureCommand.self, PrepareCommand.self],
        defaultSubcommand: MeasureCommand.self)
}

/// The benchmark: argument parsing and the order of the phases; each phase lives in its own
/// file. See Benchmarks/report/README.md for how to read the output.
struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Search latency in-process, through engramd's socket and against the raw AF_UNIX floor; "
            + "concurrency, mixed load, text path, cold start.",
        discussion: """
            Loads the dataset into a temporary store served by an in-process engramd (engine + \
            server on a temporary Unix socket), then measures. Run a release build. The table goes \
            to stderr, the figures to --json.
            """)

    @Option(help: "Base vectors (.fvecs).") var base: String
    @Option(help: "Query vectors (.fvecs).") var queries: String
    @Option(help: "Ground truth (.ivecs): per query the base rows of its nearest neighbours, best first.") var truth: String
    @Option(help: "Texts of the base rows (JSON Lines {\"text\": ...} in row order); default: placeholders.")
    var baseTexts: String?
    @Option(help: "Texts of the queries (JSON Lines, row order); enables the text path.") var queryTexts: String?
    @Option(help: "Use only the first N base vectors (ground truth is then recomputed exactly).") var baseLimit: Int?
    @Option(help: "Use only the first N queries.") var queryLimit: Int?
    @Option(help: "MiniLM model directory (default: $ENGRAM_MODEL_DIR, else ./.cache/models/all-MiniLM-L6-v2).")
    var model: String?
    @Option(help: "Results per search.") var k: Int = 10
    @Option(help: "Search beam width.") var ef: Int = 64
    @Option(name: .customLong("M"), help: "HNSW links per node.") var m: Int = 16
    @Option(name: .customLong("efc"), help: "HNSW efConstruction.") var efConstruction: Int = 200
    @Option(help: "Timed requests per single-client measurement (and per concurrency level).") var samples: Int = 5000
    @Option(help: "Untimed requests before each measurement.") var warmUp: Int = 200
    @Option(help: "Comma-separated client counts.") var concurrency: String = "1,2,4,8"
    @Option(help: "Mixed load: writes per second (add, edit, delete in turn); 0 skips the writer.") var writeRate: Double = 50
    @Option(help: "Mixed load: duration in seconds; 0 skips the phase.") var mixedSeconds: Double = 10
    @Option(help: "Mixed load: concurrent searching clients.") var mixedReaders: Int = 1
    @Option(help: "Seed of the mixed load's choices.") var seed: UInt64 = 42
    @Option(help: "engram-prompt's socket: also time POST /v1/prompt (it must serve the same daemon; see --daemon-socket).")
    var promptSocket: String?
    @Option(help: "engram-prompt executable: started for the text phase against the in-process daemon, /v1/prompt timed.")
    var promptBinary: String?
    @Option(help: "Put the in-process daemon's socket here (so engram-prompt can be pointed at it); default: a temporary path.")
    var daemonSocket: String?
    @Option(help: "Loading batch size (one transaction each).") var batch: Int = 2000
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Flag(help: "Skip the text path.") var noText = false
    @Flag(help: "Skip the cold-start measurement.") var noColdStart = false
    @Flag(help: "Skip the online index rebuild.") var noRebuild = false

    func validate() throws {
        guard k >= 10 else { throw ValidationError("--k must be at least 10 (recall@10 is reported)") }
        guard ef >= 1, m >= 2, efConstruction >= 1 else { throw ValidationError("--ef, --efc ≥ 1 and --M ≥ 2") }
        guard samples >= 100, warmUp >= 0, batch >= 1 else { throw ValidationError("--samples ≥ 100, --warm-up ≥ 0, --batch ≥ 1") }
        guard writeRate >= 0, mixedSeconds >= 0, mixedReaders >= 1 else {
            throw ValidationError("--write-rate and --mixed-seconds ≥ 0, --mixed-readers ≥ 1")
        }
        _ = try concurrencyLevels()
    }

    func concurrencyLevels() throws -> [Int] {
        try concurrency.split(separator: ",").map { part in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), (1...256).contains(value) else {
                throw ValidationError("--concurrency: '\(part)' is not a client count in 1…256")
            }
            return value
        }
    }

    /// Runs the benchmark (main.swift calls it; `run()` is ArgumentParser's synchronous entry).
    func execute() async throws {
        let blas = BLASBackend.current
        _ = BLASBackend.useSingleThread()
        progress("BLAS: \(blas)")
        if let warning = blas.warning { progress(warning) }
        var logger = Logger(label: "engram.socket-bench")
        logger.logLevel = .warning

        var dataset = try Dataset.load(base: base, queries: queries, truth: truth, baseTexts: baseTexts,
                                       queryTexts: queryTexts, baseLimit: baseLimit, queryLimit: queryLimit)
        if baseLimit != nil { dataset = dataset.withExactTruth() }
        progress("dataset: \(dataset.base.count) × \(dataset.dimension), \(dataset.queries.count) queries")

        let modelDirectory = model ?? ProcessInfo.processInfo.environment["ENGRAM_MODEL_DIR"]
            ?? "./.cache/models/all-MiniLM-L6-v2"
        let embedderStart = monotonicNanos()
        let embedder: any Embedder
        do {
            // Uncached, unlike engramd's CachingEmbedder: every text query pays for its embedding.
            embedder = try MiniLMEmbedder(modelDirectory: modelDirectory)
        } catch {
            throw ValidationError("cannot load the embedding model from \(modelDirectory) (run make model or pass --model): \(error)")
        }
        let embedderMs = Double(monotonicNanos() - embedderStart) / 1e6

        let directory = "/tmp/engram-bench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storePath = directory + "/store"
        let socketPath = daemonSocket ?? directory + "/engramd.sock"
        let namespace = "bench"

        var results = BenchResults(
            started_at: Date().formatted(.iso8601), blas: blas.description,
            cpus: ProcessInfo.processInfo.activeProcessorCount,
            parameters: .init(base: base, queries: queries, truth: truth, base_texts: baseTexts, query_texts: queryTexts,
                              entries: dataset.base.count, query_count: dataset.queries.count, dimension: dataset.dimension,
                              k: k, ef: ef, m: m, ef_construction: efConstruction, samples: samples,
                              concurrency: try concurrencyLevels(), write_rate: writeRate, mixed_seconds: mixedSeconds,
                              mixed_readers: mixedReaders, durability: "sync"))

        var daemon: InProcessDaemon? = try await InProcessDaemon(storePath: storePath, socketPath: socketPath,
                                                                 embedder: embedder, logger: logger)
        let context = BenchContext(dataset: dataset, namespace: namespace, k: k, ef: ef, samples: samples,
                                   warmUp: warmUp, directory: directory)
        do {
            try daemon!.engine.createNamespace(namespace, NamespaceRequest(
                dimension: dataset.dimension, metric: .cosine,
                parameters: HNSWParameters(m: m, efConstruction: efConstruction, efSearch: ef)))
            let (live, seconds) = try Loader.load(dataset, into: daemon!.engine, namespace: namespace, batchSize: batch) { done in
                if done % 10_000 < batch || done == dataset.base.count { progress("loaded \(done)") }
            }
            var current = live  // the live set, as the mixed load leaves it
            results.load = .init(entries: dataset.base.count, seconds: seconds,
                                 entries_per_s: Double(dataset.base.count) / seconds, embedder_load_ms: embedderMs)

            let (vector, payload) = try await VectorPhase.run(context, daemon: daemon!, live: live)
            results.vector_search = vector
            results.payload = payload
            results.concurrency = try await ConcurrencyPhase.run(context, daemon: daemon!, levels: try concurrencyLevels(),
                                                                 payload: payload)
            if noText {
                results.text_skipped = "--no-text"
            } else if let texts = dataset.queryTexts, dataset.dimension == embedder.dimension {
                let prompt: TextPhase.Prompt? = promptBinary.map { .binary($0) } ?? promptSocket.map { .socket($0) }
                results.text = try await TextPhase.run(context, daemon: daemon!, live: live, texts: texts, prompt: prompt)
            } else {
                results.text_skipped = dataset.queryTexts == nil
                    ? "no --query-texts" : "the dataset's dimension is not the embedder's (\(embedder.dimension))"
            }
            if mixedSeconds > 0 {
                let settings = MixedPhase.Settings(seconds: mixedSeconds, writeRate: writeRate, readers: mixedReaders, seed: seed)
                let mixed = try await MixedPhase.run(context, daemon: daemon!, live: live, settings: settings)
                results.mixed = mixed.0
                current = mixed.1
            }
            if noRebuild {
                results.rebuild = BenchResults.Rebuild(measured: false, note: "--no-rebuild")
            } else {
                results.rebuild = try await RebuildPhase.run(context, daemon: daemon!, live: current)
            }
            try await daemon!.stop()
            if !noColdStart {
                // A consistent copy of the churned store, opened cold: the running daemon's
                // store cannot be reopened in this process while anything still references it.
                let copyPath = directory + "/cold-store"
                try daemon!.engine.store.backup(to: copyPath)
                daemon = nil
                let (coldStart, reopened) = try await ColdStartPhase.run(
                    context, storePath: copyPath, socketPath: directory + "/cold.sock", embedder: embedder, logger: logger)
                results.cold_start = coldStart
                try await reopened.stop()
            }
        } catch {
            try? await daemon?.stop()
            throw error
        }

        FileHandle.standardError.write(Data(TableReport.render(results).utf8))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
            progress("wrote \(json)")
        }
    }
}
