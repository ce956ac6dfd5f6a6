/// Everything one run measured: the `--json` document (snake_case keys, microseconds unless a
/// name says otherwise). Benchmarks/report/ reads it; add fields, never rename them.
struct BenchResults: Codable, Sendable {
    struct Parameters: Codable, Sendable {
        var base: String
        var queries: String
        var truth: String
        var base_texts: String?
        var query_texts: String?
        var entries: Int
        var query_count: Int
        var dimension: Int
        var k: Int
        var ef: Int
        var m: Int
        var ef_construction: Int
        var samples: Int
        var concurrency: [Int]
        var write_rate: Double
        var mixed_seconds: Double
        var mixed_readers: Int
        var durability: String
    }

    struct Load: Codable, Sendable {
        var entries: Int
        var seconds: Double
        var entries_per_s: Double
        var embedder_load_ms: Double
    }

    struct Payload: Codable, Sendable {
        /// Bytes of the search request MemoryClient sends (HTTP head + JSON body).
        var request_bytes: Int
        /// Bytes of the daemon's response (HTTP head + JSON body with 10 entries).
        var response_bytes: Int
    }

    struct VectorSearch: Codable, Sendable {
        var in_process: LatencySummary
        /// MemoryClient's async `search`.
        var end_to_end: LatencySummary
        /// MemoryClient's `searchBlocking` on the measuring thread (no I/O-thread hand-off).
        var end_to_end_blocking: LatencySummary
        /// Same bytes on one connection, without MemoryClient (no per-call thread, no decoding).
        var end_to_end_raw_http: LatencySummary
        /// `GET /v1/health` on the same raw connection: the HTTP stack's own cost per request.
        var health_raw_http: LatencySummary
        var floor: LatencySummary
        var recall10_in_process: Double
        var recall10_socket: Double
        /// in-process p50 + 3 × floor p50 (issue 5's bound for end-to-end p50).
        var target_bound_us: Double
        /// Whether the async client's p50 is within the bound.
        var target_met: Bool
        /// Whether the blocking client's p50 is within the bound.
        var target_met_blocking: Bool
    }

    struct ConcurrencyLevel: Codable, Sendable {
        var clients: Int
        var end_to_end: LatencySummary
        var floor: LatencySummary
    }

    struct Mixed: Codable, Sendable {
        var seconds: Double
        var readers: Int
        var write_rate_target: Double
        var write_rate_achieved: Double
        var adds: Int
        var edits: Int
        var deletes: Int
        var write_errors: Int
        var writes: LatencySummary
        var reads: LatencySummary
        var live_entries: Int
        var recall10_after: Double
        var recall10_after_socket: Double
    }

    struct TextPath: Codable, Sendable {
        var embed: LatencySummary
        var search_embedded_vector: LatencySummary
        /// Text search in vector mode (embedding + HNSW).
        var text_search_in_process: LatencySummary
        var text_search_end_to_end: LatencySummary
        /// The same texts in hybrid and lexical mode, in-process, measured beside it.
        var text_search_hybrid_in_process: LatencySummary?
        var text_search_lexical_in_process: LatencySummary?
        /// Recall@10 of the text searches against the dataset's ground truth (which came from
        /// the reference embeddings of the same texts): how close the native embedder is.
        var recall10_text_vs_truth: Double
        var prompt: LatencySummary?
        var prompt_note: String?
    }

    struct ColdStart: Codable, Sendable {
        var open_store_ms: Double
        var warm_up_ms: Double
        var first_query_ms: Double
        var open_to_first_answer_ms: Double
        var server_ready_ms: Double
        var first_socket_answer_ms: Double
        var store_bytes: Int
    }

    struct Rebuild: Codable, Sendable {
        var measured: Bool
        var note: String
        var seconds: Double?
        var nodes: Int?
        /// Writes applied by the catch-up phase.
        var caught_up: Int?
        /// Seconds from the start at which each phase was first reported.
        var phase_start_s: [String: Double]?
        /// Socket searches (one client) while the rebuild ran.
        var reads_during: LatencySummary?
        var recall10_after: Double?
    }

    var tool = "engram-socket-bench"
    var started_at: String
    var blas: String
    var cpus: Int
    var parameters: Parameters
    var load: Load?
    var payload: Payload?
    var vector_search: VectorSearch?
    var concurrency: [ConcurrencyLevel] = []
    var text: TextPath?
    var text_skipped: String?
    var mixed: Mixed?
    var cold_start: ColdStart?
    var rebuild: Rebuild?
}
