import Embeddings
import EngramTestSupport
import Foundation
import MemoryClient
import MemoryEngine
import Testing
@testable import PromptAssembly

/// The latency engram-prompt adds to a direct daemon text search, p50/p99 side by side.
///
/// Not a pass/fail test: it runs only with `ENGRAM_PROMPT_BENCH=1` (release build recommended,
/// see the README) and prints its figures. One engramd in this process with the real MiniLM
/// embedder when the model is present (`ENGRAM_MODEL_DIR`, else `.cache/models/…`), a corpus
/// of 2,000 memories, then for each query a direct `POST /v1/namespaces/bench/search` (`k` 8)
/// and a `POST /v1/prompt` through engram-prompt (`k` 8, default template and budget), both
/// with the same AsyncHTTPClient over the Unix sockets, alternating which goes first, after a
/// warm-up of 200 rounds. Both paths embed the same text with the daemon's cache,
/// so the difference is engram-prompt: its HTTP hop, retrieval call, de-duplication, budget
/// and rendering.
@Suite struct LatencyBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["ENGRAM_PROMPT_BENCH"] == "1"

    @Test(.enabled(if: LatencyBenchmark.enabled)) func promptAddsToDirectSearch() async throws {
        let environment = ProcessInfo.processInfo.environment
        let modelDirectory = environment["ENGRAM_MODEL_DIR"] ?? "\(packageRoot)/.cache/models/all-MiniLM-L6-v2"
        let embedder: any Embedder
        let embedderName: String
        if FileManager.default.fileExists(atPath: "\(modelDirectory)/model.safetensors") {
            embedder = CachingEmbedder(try MiniLMEmbedder(modelDirectory: modelDirectory))
            embedderName = "MiniLM (cached)"
        } else {
            embedder = WordHashEmbedder()
            embedderName = "word-hash (model missing)"
        }
        let corpus = Int(environment["ENGRAM_PROMPT_BENCH_CORPUS"] ?? "") ?? 2000
        let rounds = Int(environment["ENGRAM_PROMPT_BENCH_ROUNDS"] ?? "") ?? 2000

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await InProcessDaemon.start(socketPath: "\(directory)/d.sock", storePath: "\(directory)/store",
                                                embedder: embedder)
        let topics = ["refunds", "shipping", "vpn", "passwords", "invoices", "holidays", "printers", "laptops", "badges", "parking"]
        let memory = MemoryClient(socketPath: daemon.socketPath)
        for index in 0..<corpus {
            let topic = topics[index % topics.count]
            _ = try await memory.remember(.init(text: "Note \(index) about \(topic): case \(index / topics.count) was resolved by team \(index % 7) in \(1 + index % 28) days"), in: "bench")
        }
        var configuration = PromptConfiguration()
        configuration.socketPath = "\(directory)/p.sock"
        configuration.daemonSocket = daemon.socketPath
        configuration.templatesDirectory = "\(packageRoot)/config/templates"
        let runtime = try PromptRuntime(configuration: configuration, logger: testLogger)
        let running = RunningGroup(runtime.services)
        try await runtime.server.waitUntilReady()
        let prompt = PromptClient(socketPath: configuration.socketPath)
        // The same HTTP client for both paths, so the difference is engram-prompt and not the client.
        let daemonHTTP = PromptClient(socketPath: daemon.socketPath)
        let queries = topics.flatMap { topic in (0..<5).map { "how was the \(topic) case \($0) resolved?" } }

        var direct: [Double] = []
        var viaPrompt: [Double] = []
        let clock = ContinuousClock()
        for round in -200..<rounds {
            let query = queries[(round + 200) % queries.count]
            let body = json(["namespace": "bench", "request": query, "k": 8])
            let searchBody = json(["text": query, "k": 8])
            func timeDirect() async throws -> Double {
                let start = clock.now
                let response = try await daemonHTTP.post("/v1/namespaces/bench/search", searchBody)
                precondition(response.status == 200)
                return (clock.now - start) / .microseconds(1)
            }
            func timePrompt() async throws -> Double {
                let start = clock.now
                let response = try await prompt.post("/v1/prompt", body)
                precondition(response.status == 200)
                return (clock.now - start) / .microseconds(1)
            }
            let (first, second): (Double, Double)
            if round.isMultiple(of: 2) {
                first = try await timeDirect()
                second = try await timePrompt()
                if round >= 0 { direct.append(first); viaPrompt.append(second) }
            } else {
                first = try await timePrompt()
                second = try await timeDirect()
                if round >= 0 { viaPrompt.append(first); direct.append(second) }
            }
        }
        try await running.stop()
        try await daemon.stop()

        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }
        let lines = [
            "engram-prompt latency benchmark: embedder \(embedderName), corpus \(corpus), \(rounds) rounds, k 8",
            "path,p50_us,p99_us",
            String(format: "daemon_search,%.0f,%.0f", percentile(direct, 0.5), percentile(direct, 0.99)),
            String(format: "engram_prompt,%.0f,%.0f", percentile(viaPrompt, 0.5), percentile(viaPrompt, 0.99)),
            String(format: "added,%.0f,%.0f", percentile(viaPrompt, 0.5) - percentile(direct, 0.5),
                   percentile(viaPrompt, 0.99) - percentile(direct, 0.99)),
        ]
        print(lines.joined(separator: "\n"))
        #expect(direct.count == rounds && viaPrompt.count == rounds)
    }
}
