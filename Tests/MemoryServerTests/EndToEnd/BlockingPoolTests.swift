import EngramService
import Foundation
import MemoryServer
import Testing

/// Blocking engine work runs on the server's own thread pool (`server.blocking_threads`), so
/// slow writes never hold Swift's cooperative threads (as many as the cores) and every other
/// request keeps being served.
@Suite("End to end: blocking work off the cooperative pool")
struct BlockingPoolTests {
    @Test("while more text writes than there are cores are held inside the engine, other requests are answered")
    func heldWritesDoNotStallOtherRequests() async throws {
        var harness = try DaemonHarness()
        defer { harness.cleanUp() }
        let embedder = GatedEmbedder()
        harness.embedder = embedder
        // More held writes than cooperative threads: inline, they would occupy every one of them
        // and nothing below could be answered until the gate opens. The pool has room for the
        // reads below (`get` and `/metrics` run on it too; a pool saturated by writes would
        // queue them, as it queues further writes).
        let held = ProcessInfo.processInfo.activeProcessorCount + 2
        harness.configuration.blockingThreads = held + 2

        try await harness.run { daemon in
            // Whatever fails below, the held requests must finish or shutdown would wait forever.
            defer { embedder.release() }
            let client = daemon.client
            try await client.createNamespace("kb")
            var generator = SeededGenerator(seed: 3)
            let vector = randomUnitVector(using: &generator)
            let stored = try await client.remember("a stored fact", vector: vector, in: "kb")

            let writes = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<held {
                        group.addTask {
                            try await client.sendJSON("POST", "/v1/namespaces/kb/memories", json: #"{"text": "held \#(index)"}"#).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            let arrived = await embedder.waitForArrivals(held)
            #expect(arrived, "the writes never reached the embedder")

            // All writes are blocked in the engine; the daemon still answers everything else.
            let health = try await client.request("GET", "/v1/health")
            #expect(health.status == 200)
            let search = try await client.search(vector, in: "kb", k: 1)
            #expect(search.status == 200)
            #expect(search.hitIDs == [stored.id])
            let get = try await client.request("GET", "/v1/namespaces/kb/memories/\(stored.id)")
            #expect(get.status == 200)
            let metrics = try await client.request("GET", "/metrics")
            #expect(metrics.status == 200)
            let entriesLine = metrics.text.split(separator: "\n").first { $0.hasPrefix(#"engram_namespace_entries{namespace="kb"} "#) }
            #expect(entriesLine.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } == 1, "\(metrics.text)")

            embedder.release()
            let statuses = try await writes.value
            #expect(statuses == Array(repeating: 201, count: held))
            let stats = try await client.request("GET", "/v1/namespaces/kb")
            #expect(stats.json?["entry_count"] as? Int == held + 1)
        }
    }

    @Test("server.blocking_threads: file, environment, automatic size and bounds")
    func configuration() throws {
        let parsed = try ServerConfiguration.parse(toml: "[server]\nblocking_threads = 3\n")
        #expect(parsed.blockingThreads == 3 && parsed.effectiveBlockingThreads == 3)
        let overridden = try ServerConfiguration.load(file: nil, environment: ["ENGRAM_BLOCKING_THREADS": "5"])
        #expect(overridden.effectiveBlockingThreads == 5)
        let automatic = ServerConfiguration()
        #expect(automatic.blockingThreads == 0)
        #expect(automatic.effectiveBlockingThreads == max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))
        #expect(try ServerConfiguration.parse(toml: parsed.renderTOML()) == parsed)
        for bad in ["-1", "1025"] {
            #expect(throws: ConfigurationError.self) {
                try ServerConfiguration.parse(toml: "[server]\nblocking_threads = \(bad)\n")
            }
        }
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.load(file: nil, environment: ["ENGRAM_BLOCKING_THREADS": "many"])
        }
    }
}
