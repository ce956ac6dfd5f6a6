import EngramService
import EngramTestSupport
import Foundation
import MemoryClient
import MemoryEngine
import MemoryServer
import Testing

/// The `[engine]` sections of `engramd.toml`: every engine parameter is a key with an
/// environment override, and the daemon runs with what they say.
@Suite("Engine settings")
struct EngineSettingsTests {
    @Test("[engine], [engine.ranking] and [engine.confidence] set the engine; the environment overrides")
    func fileAndEnvironment() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            [engine]
            conflict_policy = "link"
            conflict_similarity_threshold = 0.7
            learning_actors = ["curator", "importer"]
            default_ef = 40
            expiry_purge_interval = 30
            [engine.ranking]
            recency = 0.5
            [engine.confidence]
            contradiction_weight = 3
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try ServerConfiguration.load(file: file, environment: [
            "ENGRAM_LEARN_SIMILARITY_THRESHOLD": "0.85", "ENGRAM_LEARNING_ACTORS": "bot, cron",
        ])
        #expect(loaded.engine.conflictPolicy == .link && loaded.engine.conflictSimilarityThreshold == 0.7)
        #expect(loaded.engine.learningActors == ["bot", "cron"] && loaded.engine.learnSimilarityThreshold == 0.85)
        #expect(loaded.engine.defaultEf == 40 && loaded.engine.expiryPurgeInterval == 30)
        #expect(loaded.engine.ranking.recency == 0.5 && loaded.engine.confidence.contradictionWeight == 3)
        #expect(try ServerConfiguration.parse(toml: loaded.renderTOML()) == loaded)
    }

    @Test("out-of-range and inconsistent engine values are refused with the key")
    func refused() {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(toml: "[engine]\nconflict_policy = \"maybe\"") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(toml: "[engine]\nlearn_similarity_threshold = 1.5") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(toml: "[engine]\ndefault_k = 50\nmax_k = 20") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(toml: "[engine.ranking]\nrecency = -1") }
    }

    @Test("the daemon's learn follows the configured conflict policy")
    func daemonUsesTheSettings() async throws {
        try await withTestDaemon(configure: { $0.engine.conflictPolicy = .link }) { daemon in
            #expect(daemon.engine.configuration.conflictPolicy == .link)
            let client = MemoryClient(socketPath: daemon.socketPath)
            _ = try await client.remember(RememberRequest(text: "the refund window is 30 days"), in: "kb")
            let learned = try await client.learn(RememberRequest(text: "the refund window is 14 days"), in: "kb")
            #expect(learned.action == .conflicting && learned.entry?.pending == false)
        }
    }
}
