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
            With --threads N the batch scenario deals the corpus into N chunks of similar length \
            mix, each embedded by a thread of its own in calls of --batch-size (the other \
            scenarios and the PyTorch side stay on one thread). \
            With --pytorch PYTHON the same texts go to Benchmarks/embed/pytorch_bench.py and the \
            report shows both sides and the ratios. Run a release build.
            """)

    /// ArgumentParser's entry point, on the kernels engramd would run (see
    /// `BLASBackend.restartOnCapableKernelsIfNeeded()`), so that both measure the same thing.
    static func main() {
        BLASBackend.restartOnCapableKernelsIfNeeded()
        main(nil)
    }

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

    @Option(help: """
        Threads in the batch scenario: the corpus texts are sorted by length and dealt round-robin \
        into this many chunks (each then in corpus order), each chunk embedded by its own thread in \
        calls of --batch-size; texts/s is over the wall-clock time of all. 1: the calls run one after \
        another on the main thread.
        """)
    var threads = 1

    @Option(help: "Scenarios to run, comma-separated: single, batch, bulk.")
    var scenarios = "single,batch,bulk"

    @Flag(help: "Skip repeating the workload after the run (the steady-state resident-size check).")
    var noRepeat = false

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

    static let scenarioNames = ["single", "batch", "bulk"]

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        _ = try selectedScenarios()
    }

    /// The scenarios `--scenarios` names, in report order.
    func selectedScenarios() throws -> [String] {
        let names = scenarios.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for name in names where !Self.scenarioNames.contains(name) {
            throw ValidationError("--scenarios: '\(name)' is not one of \(Self.scenarioNames.joined(separator: ", "))")
        }
        let selected = Self.scenarioNames.filter { names.contains($0) }
        guard !selected.isEmpty else { throw ValidationError("--scenarios names no scenario") }
        return selected
    }

    mutating func run() throws {
        BLASBackend.useSingleThread()
        if let warning = BLASBackend.current.warning { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        let directory = modelDir ?? ProcessInfo.processInfo.environment["ENGRAM_MODEL_DIR"] ?? ".cache/models/all-MiniLM-L6-v2"

        let selected = try selectedScenarios()
        // The queries are read only where they are used (the single scenario, the PyTorch check).
        let needsQueries = selected.contains("single") || pytorch != nil
        let single: [String]
        if needsQueries {
            single = try Workload.readTexts(queries).filter { Workload.wordCount($0) <= maxWords }.prefix(singleCount).map { $0 }
        } else {
            single = []
        }
        let corpusTexts = Array(try Workload.readTexts(corpus).prefix(batchTexts))
        guard !needsQueries || !single.isEmpty, !corpusTexts.isEmpty, batchSize > 0 else { throw BenchError("no texts to embed") }

        let loadStart = ContinuousClock.now
        var options = MiniLMEmbedder.Options()
        options.batchTokenLimit = batchTokenLimit
        options.weightPanels = weightPanels
        let embedder = try MiniLMEmbedder(modelDirectory: directory, options: options)
        let loadTime = (ContinuousClock.now - loadStart).seconds

        // The batch scenario: one thread makes consecutive calls; several each take a chunk.
        let callSize = batchSize  // a copy: the threads' closures must not capture `self`
        let groups = stride(from: 0, to: corpusTexts.count, by: callSize).map { Array(corpusTexts[$0..<min($0 + callSize, corpusTexts.count)]) }
        let chunks = threads > 1 && selected.contains("batch") ? Workload.interleavedChunks(corpusTexts, count: threads) : []
        let batchThreads = max(1, chunks.count)
        func measureBatch() throws -> ScenarioResult {
            guard !chunks.isEmpty else {
                return try ScenarioResult.measure(texts: corpusTexts.count, calls: groups.map { group in { _ = try embedder.embed(group) } })
            }
            return try ScenarioResult.measureThreaded(chunks: chunks, callSize: callSize) { _ = try embedder.embed($0) }
        }

        for text in single.prefix(warmup) { _ = try embedder.embed(text) }
        _ = try embedder.embed(Array(corpusTexts.prefix(callSize)))
        if !chunks.isEmpty {
            // One call per thread, at once: every thread's workspace exists before measuring.
            _ = try ScenarioResult.measureThreaded(chunks: chunks.map { Array($0.prefix(callSize)) }, callSize: callSize) { _ = try embedder.embed($0) }
        }
        let residentAfterWarmup = Workload.residentBytes()

        var native: [String: ScenarioResult] = [:]
        if selected.contains("single") {
            native["single"] = try ScenarioResult.measure(texts: single.count, calls: single.map { text in { _ = try embedder.embed(text) } })
        }
        if selected.contains("batch") { native["batch"] = try measureBatch() }
        if selected.contains("bulk") {
            native["bulk"] = try ScenarioResult.measure(texts: corpusTexts.count, calls: [{ _ = try embedder.embed(corpusTexts) }])
        }
        let residentAfterRun = Workload.residentBytes()
        // Steady state: the same workload again must not grow the process (the model is
        // mapped once; workspaces are reused).
        var residentAfterRepeat: Int?
        if !noRepeat {
            if selected.contains("single") { for text in single { _ = try embedder.embed(text) } }
            if selected.contains("batch") { _ = try measureBatch() }
            if selected.contains("bulk") { _ = try embedder.embed(corpusTexts) }
            residentAfterRepeat = Workload.residentBytes()
        }

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

        if json {
            var object: [String: Any] = [
                "blas": BLASBackend.current.description,
                "weight_panels": embedder.usesWeightPanels,
                "model_load_seconds": loadTime,
                "resident_bytes_after_warmup": residentAfterWarmup,
                "resident_bytes_after_run": residentAfterRun,
                "threads": batchThreads,
                "batch_size": batchSize,
                "scenarios": selected,
            ]
            if let residentAfterRepeat { object["resident_bytes_after_repeat"] = residentAfterRepeat }
            let encoder = JSONEncoder()
            for (name, result) in native {
                var scenario = try JSONSerialization.jsonObject(with: encoder.encode(result)) as? [String: Any] ?? [:]
                scenario["threads"] = name == "batch" ? batchThreads : 1
                object[name] = scenario
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

        let threadsLine = batchThreads == 1 ? "one thread" : "\(batchThreads) threads in the batch scenario (one in the others)"
        print("engram-embed-bench: all-MiniLM-L6-v2, \(threadsLine), \(BLASBackend.current), weight panels \(embedder.usesWeightPanels ? "on" : "off")")
        let repeatNote = residentAfterRepeat.map { ", \(mebibytes($0)) after repeating it" } ?? " (not repeated)"
        print("  model loaded in \(format(loadTime * 1000, 1)) ms; resident \(mebibytes(residentAfterWarmup)) after warm-up, \(mebibytes(residentAfterRun)) after the run\(repeatNote)")
        let batchThreadsNote = batchThreads == 1 ? "" : " on \(batchThreads) threads (interleaved chunks of similar length mix)"
        var described: [String] = []
        if selected.contains("single") { described.append("single: \(single.count) queries of ≤ \(maxWords) words, one per call") }
        if selected.contains("batch") { described.append("batch: \(corpusTexts.count) texts in calls of \(batchSize)\(batchThreadsNote)") }
        if selected.contains("bulk") { described.append("bulk: \(selected.contains("batch") ? "the same" : "\(corpusTexts.count)") texts in one call") }
        print("  " + described.joined(separator: "; "))
        print("")
        let header = "scenario  implementation      texts/s    p50 ms    p99 ms"
        print(header)
        print(String(repeating: "-", count: header.count + (reference == nil ? 0 : 34)))
        for name in selected {
            guard let ours = native[name] else { continue }
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
