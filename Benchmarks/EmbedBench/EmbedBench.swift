import ArgumentParser
import Embeddings
import Foundation
import VectorMath

/// Benchmarks the native all-MiniLM-L6-v2 embedder and, side by side in the same run,
/// sentence-transformers on PyTorch (CPU, one thread) on exactly the same texts.
@main
struct EmbedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engram-embed-bench",
        abstract: "Texts/s and latency of the native MiniLM embedder, optionally against PyTorch.",
        discussion: """
            Scenarios: 'single' embeds short queries (at most --max-words words) one per call; \
            'batch' embeds corpus texts in consecutive groups of --batch-size; 'bulk' embeds all \
            corpus texts in one call (both sides then sort by length and batch internally). \
            With --pytorch PYTHON the same texts go to Benchmarks/embed/pytorch_bench.py and the \
            report shows both sides and the ratios. Run a release build.
            """)

    @Option(help: "Model directory (default: $ENGRAM_MODEL_DIR, else .cache/models/all-MiniLM-L6-v2).")
    var modelDir: String?

    @Option(help: "Query texts (JSON lines with \"text\", or plain lines).")
    var queries = "../shared/datasets/pypi-20k/queries.jsonl"

    @Option(help: "Corpus texts for the batch scenarios (same formats).")
    var corpus = "../shared/datasets/pypi-20k/base.jsonl"

    @Option(help: "Single-query calls (taken from the queries with at most --max-words words).")
    var singleCount = 300

    @Option(help: "Longest single query, in words.")
    var maxWords = 16

    @Option(help: "Corpus texts embedded in the batch scenarios.")
    var batchTexts = 2048

    @Option(help: "Texts per call in the batch scenario (sentence-transformers' default is 32).")
    var batchSize = 32

    @Option(help: "Most tokens per forward pass in the native embedder.")
    var batchTokenLimit = MiniLMEmbedder.Options().batchTokenLimit

    @Option(help: "Force the weight-panel path for short passes on or off (default: measured at start).")
    var weightPanels: Bool?

    @Option(help: "Warm-up single calls before measuring.")
    var warmup = 20

    @Option(help: "Python interpreter with torch and sentence-transformers; runs the PyTorch side too.")
    var pytorch: String?

    @Option(help: "Path of pytorch_bench.py.")
    var pytorchScript = "Benchmarks/embed/pytorch_bench.py"

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    mutating func run() throws {
        BLASBackend.useSingleThread()
        if let warning = BLASBackend.current.warning { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        let directory = modelDir ?? ProcessInfo.processInfo.environment["ENGRAM_MODEL_DIR"] ?? ".cache/models/all-MiniLM-L6-v2"

        let single = try Workload.readTexts(queries).filter { Workload.wordCount($0) <= maxWords }.prefix(singleCount).map { $0 }
        let corpusTexts = Array(try Workload.readTexts(corpus).prefix(batchTexts))
        guard !single.isEmpty, !corpusTexts.isEmpty, batchSize > 0 else { throw BenchError("no texts to embed") }

        let loadStart = ContinuousClock.now
        var options = MiniLMEmbedder.Options()
        options.batchTokenLimit = batchTokenLimit
        options.weightPanels = weightPanels
        let embedder = try MiniLMEmbedder(modelDirectory: directory, options: options)
        let loadTime = (ContinuousClock.now - loadStart).seconds

        for text in single.prefix(warmup) { _ = try embedder.embed(text) }
        _ = try embedder.embed(Array(corpusTexts.prefix(batchSize)))
        let residentAfterWarmup = Workload.residentBytes()

        let singleResult = try ScenarioResult.measure(texts: single.count, calls: single.map { text in { _ = try embedder.embed(text) } })
        let groups = stride(from: 0, to: corpusTexts.count, by: batchSize).map { Array(corpusTexts[$0..<min($0 + batchSize, corpusTexts.count)]) }
        let batchResult = try ScenarioResult.measure(texts: corpusTexts.count, calls: groups.map { group in { _ = try embedder.embed(group) } })
        let bulkResult = try ScenarioResult.measure(texts: corpusTexts.count, calls: [{ _ = try embedder.embed(corpusTexts) }])
        let residentAfterRun = Workload.residentBytes()
        // Steady state: the same workload again must not grow the process (the model is
        // mapped once; workspaces are reused).
        for text in single { _ = try embedder.embed(text) }
        for group in groups { _ = try embedder.embed(group) }
        _ = try embedder.embed(corpusTexts)
        let residentAfterRepeat = Workload.residentBytes()

        var reference: PyTorchReport?
        if let pytorch {
            reference = try runPyTorch(python: pytorch, directory: directory, single: single, corpus: corpusTexts)
        }
        var agreement: Float?
        if let reference, !reference.embeddings.isEmpty {
            let ours = try embedder.embed(Array(single.prefix(reference.embeddings.count)))
            agreement = zip(ours, reference.embeddings).map { pair in
                zip(pair.0, pair.1).map { abs($0 - $1) }.max() ?? 0
            }.max()
        }

        let native: [String: ScenarioResult] = ["single": singleResult, "batch": batchResult, "bulk": bulkResult]
        if json {
            var object: [String: Any] = [
                "blas": BLASBackend.current.description,
                "weight_panels": embedder.usesWeightPanels,
                "model_load_seconds": loadTime,
                "resident_bytes_after_warmup": residentAfterWarmup,
                "resident_bytes_after_run": residentAfterRun,
                "resident_bytes_after_repeat": residentAfterRepeat,
            ]
            let encoder = JSONEncoder()
            for (name, result) in native {
                object[name] = try JSONSerialization.jsonObject(with: encoder.encode(result))
            }
            if let reference {
                object["pytorch"] = [
                    "single": try JSONSerialization.jsonObject(with: encoder.encode(reference.single)),
                    "batch": try JSONSerialization.jsonObject(with: encoder.encode(reference.batch)),
                    "bulk": try JSONSerialization.jsonObject(with: encoder.encode(reference.bulk)),
                    "versions": reference.versions,
                ]
                object["max_abs_diff_vs_pytorch"] = agreement.map { Double($0) }
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }

        print("engram-embed-bench: all-MiniLM-L6-v2, one thread, \(BLASBackend.current), weight panels \(embedder.usesWeightPanels ? "on" : "off")")
        print("  model loaded in \(format(loadTime * 1000, 1)) ms; resident \(mebibytes(residentAfterWarmup)) after warm-up, \(mebibytes(residentAfterRun)) after the run, \(mebibytes(residentAfterRepeat)) after repeating it")
        print("  single: \(single.count) queries of ≤ \(maxWords) words, one per call; batch: \(corpusTexts.count) texts in calls of \(batchSize); bulk: the same texts in one call")
        print("")
        let header = "scenario  implementation      texts/s    p50 ms    p99 ms"
        print(header)
        print(String(repeating: "-", count: header.count + (reference == nil ? 0 : 34)))
        for name in ["single", "batch", "bulk"] {
            let ours = native[name]!
            print(row(name, "Swift (Engram)", ours))
            if let reference {
                let theirs = name == "single" ? reference.single : name == "batch" ? reference.batch : reference.bulk
                print(row("", "PyTorch", theirs))
                print("          ratio Swift/PyTorch: throughput \(format(ours.texts_per_second / theirs.texts_per_second, 2))×, p50 latency \(format(ours.p50_ms / theirs.p50_ms, 3))×, p99 latency \(format(ours.p99_ms / theirs.p99_ms, 3))×")
            }
        }
        if let reference {
            print("")
            print("PyTorch side: \(reference.implementation), torch \(reference.versions["torch"] ?? "?"), sentence-transformers \(reference.versions["sentence_transformers"] ?? "?"), \(reference.threads) thread(s)")
            if let agreement { print("max abs difference of the first \(reference.embeddings.count) query embeddings, Swift vs PyTorch: \(agreement)") }
        }
    }

    private func runPyTorch(python: String, directory: String, single: [String], corpus: [String]) throws -> PyTorchReport {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("engram-embed-bench-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let singlePath = temporary.appendingPathComponent("single.jsonl").path
        let batchPath = temporary.appendingPathComponent("batch.jsonl").path
        try Workload.writeTexts(single, to: singlePath)
        try Workload.writeTexts(corpus, to: batchPath)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [pytorchScript, "--model-dir", directory, "--single", singlePath, "--batch", batchPath,
                             "--batch-size", String(batchSize), "--warmup", String(warmup), "--json", "--dump-embeddings", "8"]
        var environment = ProcessInfo.processInfo.environment
        for key in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"] { environment[key] = "1" }
        environment["HF_HUB_OFFLINE"] = "1"
        environment["TOKENIZERS_PARALLELISM"] = "false"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("\(python) \(pytorchScript) exited with status \(process.terminationStatus)")
        }
        do {
            return try JSONDecoder().decode(PyTorchReport.self, from: data)
        } catch {
            throw BenchError("cannot read the PyTorch side's JSON: \(error)")
        }
    }

    private func row(_ scenario: String, _ implementation: String, _ result: ScenarioResult) -> String {
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return left ? padding + text : text + padding
        }
        return pad(scenario, 10) + pad(implementation, 16) + pad(format(result.texts_per_second, 1), 12, left: true)
            + pad(format(result.p50_ms, 2), 10, left: true) + pad(format(result.p99_ms, 2), 10, left: true)
    }

    private func format(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    private func mebibytes(_ bytes: Int) -> String {
        format(Double(bytes) / 1_048_576, 1) + " MiB"
    }
}
