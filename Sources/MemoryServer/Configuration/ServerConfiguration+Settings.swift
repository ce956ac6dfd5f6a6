public import EngramService
import Foundation
import Logging
import MemoryEngine

extension ServerConfiguration {
    /// Environment variable naming the configuration file when `--config` is not given.
    public static let configFileEnvironment = "ENGRAM_CONFIG"

    public static let renderHeader =
        "# Effective engramd configuration (defaults < config file < ENGRAM_* environment)."

    /// Every key of `config/engramd.toml`, in its order.
    public static var settings: [Setting<ServerConfiguration>] {
        [
            .init("server", "socket", environment: "ENGRAM_SOCKET", .string(\.socketPath)),
            .init("server", "socket_mode", environment: "ENGRAM_SOCKET_MODE", .mode(\.socketMode)),
            .init("server", "allowed_uids", environment: "ENGRAM_ALLOWED_UIDS", .ids(\.allowedUIDs)),
            .init("server", "allowed_gids", environment: "ENGRAM_ALLOWED_GIDS", .ids(\.allowedGIDs)),
            .init("server", "max_body_bytes", environment: "ENGRAM_MAX_BODY_BYTES", .int(\.maxBodyBytes, bodyLimitRange)),
            .init("server", "log_level", environment: "ENGRAM_LOG_LEVEL",
                  .choice(\.logLevelName, Logger.Level.allCases.map(\.rawValue))),
            .init("server", "blocking_threads", environment: "ENGRAM_BLOCKING_THREADS",
                  .int(\.blockingThreads, 0...maxBlockingThreads)),
            .init("server", "idle_timeout_seconds", environment: "ENGRAM_IDLE_TIMEOUT_SECONDS",
                  .int(\.idleTimeoutSeconds, idleTimeoutRange)),
            .init("server.tcp", "enabled", environment: "ENGRAM_TCP_ENABLED", .bool(\.tcpEnabled)),
            .init("server.tcp", "host", environment: "ENGRAM_TCP_HOST", .string(\.tcpHost)),
            .init("server.tcp", "port", environment: "ENGRAM_TCP_PORT", .int(\.tcpPort, 0...65535)),
            .init("storage", "data_dir", environment: "ENGRAM_DATA_DIR", .string(\.dataDirectory)),
            .init("storage", "durability", environment: "ENGRAM_DURABILITY",
                  .choice(\.durabilityName, Durability.allCases.map(\.rawValue))),
            .init("storage", "vectors_in_memory", environment: "ENGRAM_VECTORS_IN_MEMORY", .bool(\.vectorsInMemory)),
            .init("storage", "backup_dirs", environment: "ENGRAM_BACKUP_DIRS", .paths(\.backupDirectories)),
            .init("embedding", "model_dir", environment: "ENGRAM_MODEL_DIR", .string(\.modelDirectory)),
            .init("embedding", "batch_threads", environment: "ENGRAM_BATCH_EMBEDDING_THREADS",
                  .int(\.engine.batchEmbeddingThreads, 0...256)),
            .init("embedding", "batch_idle", environment: "ENGRAM_BATCH_EMBEDDING_IDLE",
                  .bool(\.engine.batchEmbeddingIdle)),
            .init("embedding", "batch_niceness", environment: "ENGRAM_BATCH_EMBEDDING_NICENESS",
                  .int(\.engine.batchEmbeddingNiceness, 0...19)),
            .init("engine", "auto_create_namespaces", environment: "ENGRAM_AUTO_CREATE_NAMESPACES",
                  .bool(\.engine.autoCreateNamespaces)),
            .init("engine", "learn_similarity_threshold", environment: "ENGRAM_LEARN_SIMILARITY_THRESHOLD",
                  .double(\.engine.learnSimilarityThreshold, 0...1)),
            .init("engine", "conflict_similarity_threshold", environment: "ENGRAM_CONFLICT_SIMILARITY_THRESHOLD",
                  .double(\.engine.conflictSimilarityThreshold, 0...1)),
            .init("engine", "conflict_policy", environment: "ENGRAM_CONFLICT_POLICY",
                  .choice(\.conflictPolicyName, ConflictPolicy.allCases.map(\.rawValue))),
            .init("engine", "rejected_similarity_threshold", environment: "ENGRAM_REJECTED_SIMILARITY_THRESHOLD",
                  .double(\.engine.rejectedSimilarityThreshold, 0...1)),
            .init("engine", "learning_actors", environment: "ENGRAM_LEARNING_ACTORS", .names(\.engine.learningActors)),
            .init("engine", "learn_candidates", environment: "ENGRAM_LEARN_CANDIDATES", .int(\.engine.learnCandidates, 1...100)),
            .init("engine", "default_confidence", environment: "ENGRAM_DEFAULT_CONFIDENCE",
                  .double(\.engine.defaultConfidence, 0...1)),
            .init("engine", "default_k", environment: "ENGRAM_DEFAULT_K", .int(\.engine.defaultK, 1...10_000)),
            .init("engine", "max_k", environment: "ENGRAM_MAX_K", .int(\.engine.maxK, 1...10_000)),
            .init("engine", "default_ef", environment: "ENGRAM_DEFAULT_EF", .int(\.defaultEfSetting, 0...100_000)),
            .init("engine", "max_ef", environment: "ENGRAM_MAX_EF", .int(\.engine.maxEf, 1...100_000)),
            .init("engine", "max_page_size", environment: "ENGRAM_MAX_PAGE_SIZE", .int(\.engine.maxPageSize, 1...100_000)),
            .init("engine", "ranking_candidate_factor", environment: "ENGRAM_RANKING_CANDIDATE_FACTOR",
                  .int(\.engine.rankingCandidateFactor, 1...100)),
            .init("engine", "expiry_purge_interval", environment: "ENGRAM_EXPIRY_PURGE_INTERVAL",
                  .double(\.engine.expiryPurgeInterval, 0.01...86_400)),
            .init("engine", "usage_flush_interval", environment: "ENGRAM_USAGE_FLUSH_INTERVAL",
                  .double(\.engine.usageFlushInterval, 0.01...86_400)),
            .init("engine.ranking", "similarity", environment: "ENGRAM_RANK_SIMILARITY",
                  .double(\.engine.ranking.similarity, 0...1000)),
            .init("engine.ranking", "confidence", environment: "ENGRAM_RANK_CONFIDENCE",
                  .double(\.engine.ranking.confidence, 0...1000)),
            .init("engine.ranking", "recency", environment: "ENGRAM_RANK_RECENCY", .double(\.engine.ranking.recency, 0...1000)),
            .init("engine.ranking", "recency_half_life", environment: "ENGRAM_RANK_RECENCY_HALF_LIFE",
                  .double(\.engine.ranking.recencyHalfLife, 1...(100 * 365 * 86_400))),
            .init("engine.confidence", "prior_strength", environment: "ENGRAM_CONFIDENCE_PRIOR_STRENGTH",
                  .double(\.engine.confidence.priorStrength, 0.001...1_000_000)),
            .init("engine.confidence", "support_weight", environment: "ENGRAM_CONFIDENCE_SUPPORT_WEIGHT",
                  .double(\.engine.confidence.supportWeight, 0...1_000_000)),
            .init("engine.confidence", "useful_weight", environment: "ENGRAM_CONFIDENCE_USEFUL_WEIGHT",
                  .double(\.engine.confidence.usefulWeight, 0...1_000_000)),
            .init("engine.confidence", "not_useful_weight", environment: "ENGRAM_CONFIDENCE_NOT_USEFUL_WEIGHT",
                  .double(\.engine.confidence.notUsefulWeight, 0...1_000_000)),
            .init("engine.confidence", "contradiction_weight", environment: "ENGRAM_CONFIDENCE_CONTRADICTION_WEIGHT",
                  .double(\.engine.confidence.contradictionWeight, 0...1_000_000)),
        ]
    }
}
