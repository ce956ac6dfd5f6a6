#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import Embeddings
public import Logging
public import MemoryStore
import Synchronization
import VectorMath

/// The domain: learn, recall, edit, forget, revert, confidence and namespaces over a
/// ``MemoryStore`` and an ``Embedder``. The HTTP server and the CLI call it directly; every
/// method is synchronous and may block (LMDB commits flush to disk, embedding runs the model),
/// so call it from a thread that may block, not from a cooperative executor's hot path.
///
/// ## Locking
/// - **Writes** (every mutating method) take the engine's `writeLock`, a mutex held from the
///   last check of the entry to the update of the in-memory filter table, so `learn`'s
///   "search for a near-duplicate, then create or reinforce" is atomic, filter facts are
///   updated in commit order, and a write returns only once the store's index and the facts
///   reflect it (read-your-writes). The store serialises its writers anyway, so this costs no
///   parallelism. Embedding happens *before* the lock is taken: model time never blocks
///   other writers.
/// - **Reads and searches** take no engine lock: they run in parallel with each other and
///   with the writer, on the store's LMDB read transactions and the index's shared lock.
///   A filtered search holds its namespace's facts table shared during the traversal.
/// - Lock order: `writeLock` → store writer → facts (exclusive, O(1)); searches: facts
///   (shared) → index (shared). No path takes them in another order.
/// - Use counts go to an in-memory table (see ``flushUsage()``), not to disk, on the read path.
///
/// ## Memory
/// Filters are answered from a per-namespace table of each entry's tags, source, confidence,
/// times, pinned flag and metadata (see `FactsTable`), loaded on a namespace's first search
/// (or by ``warmUp()``): about 200 bytes per entry plus its tags and metadata. That is the
/// price of filtering inside the HNSW traversal without a disk read per visited node.
///
/// The engine must be the only writer of its store while it runs (the daemon guarantees
/// this; the store's process lock keeps other processes out).
public final class MemoryEngine: Sendable {
    public let store: MemoryStore
    /// Where decided writes go: the store itself, or a replication log (``StoreWriter``).
    let writer: any StoreWriter
    public let embedder: any Embedder
    public let configuration: EngineConfiguration
    let logger: Logger
    let clock: @Sendable () -> Date
    let writeLock = Mutex<Void>(())
    let factsTables = Mutex<[String: FactsTable]>([:])
    let usage = UsageRecorder()
    /// How batch writes embed their texts: ``EngineConfiguration/batchEmbeddingThreads``
    /// threads for the whole engine (0: one per core), in the idle scheduling class or at
    /// ``EngineConfiguration/batchEmbeddingNiceness`` (``EngineConfiguration/batchEmbeddingIdle``).
    let batchEmbedding: ParallelEmbedding

    /// - Parameters:
    ///   - clock: the current time (tests pass a controllable one).
    ///   - writer: where writes go; `nil`: straight into `store`.
    /// - Throws: ``EngineError/invalidArgument(_:)`` for a configuration out of range.
    public init(store: MemoryStore, embedder: any Embedder, configuration: EngineConfiguration = EngineConfiguration(),
                logger: Logger = Logger(label: "engram.engine"),
                clock: @escaping @Sendable () -> Date = { Date() }, writer: (any StoreWriter)? = nil) throws(EngineError) {
        try configuration.validate()
        self.store = store
        self.writer = writer ?? DirectStoreWriter(store: store)
        self.embedder = embedder
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        let threads = configuration.batchEmbeddingThreads
        batchEmbedding = ParallelEmbedding(threads: threads > 0 ? threads : ParallelEmbedding.automaticThreads,
                                           priority: configuration.batchEmbeddingIdle
                                               ? .idle : .nice(Int32(configuration.batchEmbeddingNiceness)))
    }

    // MARK: shared machinery

    /// Runs `body` as the engine's only writer, translating errors. See "Locking".
    func exclusive<R>(_ body: () throws -> R) throws(EngineError) -> R {
        try translatingErrors {
            try writeLock.withLock { _ in try body() }
        }
    }

    func context(actor: String, reason: String?) -> AuditContext {
        AuditContext(actor: actor, reason: reason, time: clock())
    }

    /// The configuration of an existing namespace. - Throws: `namespace_not_found`.
    func existingNamespace(_ name: String) throws(EngineError) -> NamespaceConfig {
        try Self.validateNamespaceName(name)
        guard let config = store.namespaceConfig(name) else {
            throw .namespaceNotFound("namespace \"\(name)\" does not exist")
        }
        return config
    }

    /// The namespace a write goes to: the existing one, or (auto-create on) the defaults that
    /// ``ensureNamespace(_:)`` will create under the writer lock.
    func writableNamespace(_ name: String) throws(EngineError) -> NamespaceConfig {
        try Self.validateNamespaceName(name)
        if let config = store.namespaceConfig(name) { return config }
        guard configuration.autoCreateNamespaces else {
            throw .namespaceNotFound("namespace \"\(name)\" does not exist (automatic creation is off)")
        }
        return defaultNamespaceConfig(name)
    }

    func defaultNamespaceConfig(_ name: String) -> NamespaceConfig {
        NamespaceConfig(name: name, dimension: embedder.dimension, metric: .cosine, embedderID: embedder.identifier,
                        createdAt: clock())
    }

    /// Creates `config` if the namespace does not exist; returns whether it did. Precondition:
    /// `writeLock` held (so "did not exist" is certain).
    @discardableResult
    func ensureNamespace(_ config: NamespaceConfig) throws -> Bool {
        guard store.namespaceConfig(config.name) == nil else { return false }
        _ = try write(.createNamespace(config))
        logger.info("created namespace", metadata: ["namespace": "\(config.name)", "dimension": "\(config.dimension)"])
        return true
    }

    /// The namespace's facts table, loaded. O(entries) the first time, O(1) after.
    func facts(_ name: String) throws(EngineError) -> FactsTable {
        let table = factsTables.withLock { tables in
            if let table = tables[name] { return table }
            let table = FactsTable()
            tables[name] = table
            return table
        }
        try translatingErrors {
            try table.ensureLoaded { add in
                var cursor: UInt64 = 0
                while true {
                    let page = try store.entries(namespace: name, after: cursor, limit: 1000)
                    page.entries.forEach(add)
                    guard let next = page.nextCursor else { break }
                    cursor = next
                }
            }
        }
        return table
    }

    /// Records a committed write in the facts table. Precondition: `writeLock` held.
    func noteWritten(_ entry: MemoryEntry) {
        factsTables.withLock { $0[entry.namespace] }?.upsert(entry)
    }

    /// Records a committed delete. Precondition: `writeLock` held.
    func noteDeleted(namespace: String, id: UInt64) {
        factsTables.withLock { $0[namespace] }?.remove(id)
        usage.discard(namespace: namespace, id: id)
    }

    /// The vector to index or search with, checked once here: the caller's, or the embedding
    /// of `text`.
    /// - Throws: `dimension_mismatch` / `invalid_argument` for a caller's vector that does not
    ///   fit; `dimension_mismatch` / `conflict` when the namespace's vectors do not come from
    ///   this engine's embedder; `embedding_failed`.
    func vector(for text: String, given: [Float]?, config: NamespaceConfig) throws(EngineError) -> QueryVector {
        if let given { return try InputValidation.vector(given, for: config) }
        try checkEmbedderFits(config)
        let vector = try translatingErrors { try embedder.embed(text) }
        do {
            return try QueryVector(vector, for: config)
        } catch {
            throw .embeddingFailed("the embedder returned an unusable vector for this text")
        }
    }

    /// Whether this engine's embedder may produce the namespace's vectors.
    /// - Throws: `dimension_mismatch` or `conflict` (vectors of another embedder).
    func checkEmbedderFits(_ config: NamespaceConfig) throws(EngineError) {
        guard config.dimension == embedder.dimension else {
            throw .dimensionMismatch("""
                namespace "\(config.name)" has dimension \(config.dimension) and the embedder makes \
                \(embedder.dimension): send a vector
                """)
        }
        if let id = config.embedderID, id != embedder.identifier {
            throw .conflict("namespace \"\(config.name)\" holds vectors of embedder \(id), not \(embedder.identifier)")
        }
    }

    /// Loads every namespace's filter facts now (O(entries)), so the first search of each
    /// does not pay for it. The daemon calls it at start; without it loading is lazy.
    public func warmUp() throws(EngineError) {
        for info in store.namespaces() { _ = try facts(info.config.name) }
    }

    /// An entry that may be returned: present and not expired. - Throws: `not_found`.
    func liveEntry(_ name: String, _ id: UInt64) throws(EngineError) -> MemoryEntry {
        let found = try translatingErrors { try store.get(namespace: name, id: id) }
        guard let entry = found, !Self.isExpired(entry, at: clock()) else {
            throw .notFound("no entry \(id) in namespace \"\(name)\"")
        }
        return entry
    }

    static func isExpired(_ entry: MemoryEntry, at now: Date) -> Bool {
        entry.expiresAt.map { $0 <= now } ?? false
    }

    /// docs/architecture.md ("Data model and guarantees"): 1–128 of `[A-Za-z0-9._-]`.
    static func validateNamespaceName(_ name: String) throws(EngineError) {
        let bytes = Array(name.utf8)
        let valid = (1...128).contains(bytes.count) && bytes.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
                || byte == 0x2e || byte == 0x5f || byte == 0x2d
        }
        guard valid else {
            throw .invalidArgument("invalid namespace name \"\(name.prefix(140))\": use 1–128 characters of A–Z, a–z, 0–9, '.', '_', '-'")
        }
    }

    /// Cosine similarity of two vectors of equal length (0 if either is zero). O(dimension).
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = Double(Kernels.dot(a, b))
        let norms = (Double(Kernels.dot(a, a)) * Double(Kernels.dot(b, b))).squareRoot()
        return norms > 0 ? dot / norms : 0
    }
}
