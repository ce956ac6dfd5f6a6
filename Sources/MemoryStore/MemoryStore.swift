#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HNSW
import LMDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The durable memory store: namespaces, entries, vectors, each namespace's HNSW graph and
/// the audit log, in one LMDB environment (layout: `Schema`).
///
/// ## Guarantees
/// - **One logical write = one LMDB transaction**: the entry, its vector, the graph changes
///   and the audit event commit together. The index is changed in an `HNSWIndex.write` batch
///   whose body runs the LMDB commit last; if the commit fails (map full, disk full) the batch
///   throws and the index rolls back, so nothing of the write is visible anywhere.
/// - **Read your writes**: a write returns after the commit and after the index published
///   it; the next search sees it. Every write returns its audit sequence number.
/// - **Open loads, never rebuilds**: each namespace's graph is restored from its persisted
///   node records and vectors (`HNSWIndex.restore`), O(nodes·(dimension + M0)).
///
/// ## Locking
/// - Writes (every mutating method) are serialised by `writeLock`, held from reading the
///   counters to publishing the index, so ids and sequence numbers are assigned in commit
///   order with no gaps. A write never awaits; call it from a thread that may block (LMDB
///   flushes to disk in the commit).
/// - Reads (`get`, listings, audit) run in their own LMDB read transactions, in parallel with
///   each other and with the writer, and see the last commit.
/// - Searches go to the namespace's `HNSWIndex`, which lets any number of searches run during
///   a write and shows each write entirely or not at all.
/// - The namespace table is a `Mutex`, held only to look a namespace up or change the table.
/// - One process owns a store (`ProcessLock`); within a process, open it once and share it.
///
/// Lock order: `writeLock` → `HNSWIndex` writer lock → LMDB writer lock, then (after the
/// commit, still inside the index batch) a namespace's `LexicalTable` exclusively. Nothing
/// takes `writeLock` while it holds an LMDB transaction (a map resize waits for open
/// transactions). Searches take a `LexicalTable` or an `HNSWIndex` shared, one at a time.
/// A write's lexical change is applied just before its index batch is published, so for that
/// moment a hybrid search may miss the entry's new vector (its distance comes back `nil` and
/// the candidate is skipped); it never sees a half-applied write of either index.
public final class MemoryStore: Sendable {
    /// Longest `text`, in UTF-8 bytes (docs/architecture.md, "Data model and guarantees": 32 KiB).
    public static let maxTextBytes = 32 << 10
    /// Most entries one `conflicts_with` lists.
    public static let maxConflictLinks = 16
    /// Longest `metadata`, encoded as JSON (docs/architecture.md, "Data model and guarantees": 16 KiB).
    public static let maxMetadataBytes = 16 << 10
    /// The largest version, evidence count and use count an entry may hold: 2^53, the largest
    /// integer every JSON client reads exactly. Writes check it (an import of a larger value is
    /// `invalid`; an edit of an entry at it is refused) and counters saturate at it, so adding
    /// one can never overflow, whatever a file or a peer supplied.
    public static let maxCount: UInt64 = 1 << 53

    /// `count + more`, capped at ``maxCount``.
    public static func saturatingCount(_ count: UInt64, plus more: UInt64) -> UInt64 {
        let (sum, overflow) = count.addingReportingOverflow(more)
        return overflow ? maxCount : min(sum, maxCount)
    }

    public let path: String
    public let options: MemoryStoreOptions
    let env: Environment
    let dbs: Databases
    let processLock: ProcessLock
    let writeLock = Mutex<Void>(())
    /// Set by a hard delete, cleared by ``scrubFreePagesIfPending()``.
    let scrubPending = Atomic<Bool>(false)
    let namespaceTable: Mutex<[String: NamespaceHandle]>

    /// Opens the store at `path` (a directory, created if missing), creating an empty store
    /// there if there is none, migrating an older schema, and loading every namespace's index.
    ///
    /// - Throws: `MemoryStoreError.newerSchema` for a store from a newer Engram (left
    ///   untouched); `.notAMemoryStore` for another LMDB environment; `.locked` if another
    ///   process has it open; `.corrupt` for a damaged namespace, graph record or vector;
    ///   `LMDBError` (`corrupted`, `invalid`, `versionMismatch`…) for a damaged data file.
    /// - Complexity: O(total graph nodes × (dimension + M0)).
    public init(path: String, options: MemoryStoreOptions = MemoryStoreOptions()) throws {
        self.path = path
        self.options = options
        if mkdir(path, mode_t(0o700)) != 0 && errno != EEXIST {
            throw LMDBError(code: errno, context: "mkdir(\(path))")
        }
        processLock = try ProcessLock(directory: path, fileMode: options.fileMode)
        try Self.refuseEmptyDataFile(in: path)
        var environmentOptions = EnvironmentOptions(mapSize: options.mapSize, maxMapSize: options.maxMapSize,
                                                    maxDatabases: 16, durability: options.durability)
        environmentOptions.fileMode = options.fileMode
        env = try Environment(path: path, options: environmentOptions)
        dbs = try Self.prepareSchema(env)
        namespaceTable = Mutex(try Self.loadNamespaces(env, dbs, options: options))
    }

    /// Throws `corrupt` when `data.mdb` exists but is empty. LMDB would take an empty file for
    /// a new environment and initialise it, so a store whose file was truncated to nothing
    /// would silently come back empty; LMDB writes a new file's two meta pages at once when
    /// it creates it, so an empty file is damage, not a store in the making.
    static func refuseEmptyDataFile(in path: String) throws {
        var status = stat()
        guard stat(path + "/data.mdb", &status) == 0, status.st_size == 0 else { return }
        throw MemoryStoreError.corrupt(
            "\(path)/data.mdb is empty: the store's data is gone (restore a backup; to start a new store, remove the file)")
    }

    /// The schema version this build writes.
    public static var schemaVersion: UInt32 { Schema.currentVersion }

    /// Checks the stored schema version before creating anything, so a newer store is left as
    /// it is; initialises a new store; runs migrations for an older one, each step in its own
    /// transactions, the version written after each step.
    static func prepareSchema(_ env: Environment) throws -> Databases {
        var version: UInt32?
        do {
            let meta = try env.openDatabase(named: "meta", create: false)
            guard let bytes = try env.read({ try $0.get(Schema.Meta.schemaVersion, in: meta) }) else {
                throw MemoryStoreError.notAMemoryStore("\(env.path): meta database without a schema version")
            }
            guard bytes.count == 4, let stored = UInt32(bigEndianBytes: bytes) else {
                throw MemoryStoreError.corrupt("meta: schema_version has \(bytes.count) bytes")
            }
            version = stored
        } catch LMDBError.notFound {
            let others = try env.statistics().entries
            guard others == 0 else {
                throw MemoryStoreError.notAMemoryStore("\(env.path) holds \(others) other databases")
            }
        }
        if let version, version > Schema.currentVersion {
            throw MemoryStoreError.newerSchema(found: version, supported: Schema.currentVersion)
        }
        func versionBytes(_ version: UInt32) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.appendBigEndian(version)
            return bytes
        }
        guard var current = version else {
            return try env.write { txn in
                let dbs = try Databases(txn)
                try Counters.initial.write(txn, dbs)
                try txn.put(versionBytes(Schema.currentVersion), forKey: Schema.Meta.schemaVersion, in: dbs.meta)
                return dbs
            }
        }
        let dbs = try env.write { txn in try Databases(txn) }
        while current < Schema.currentVersion {
            guard let step = Schema.migrations[current] else {
                throw MemoryStoreError.notAMemoryStore("no migration from schema version \(current)")
            }
            try step(env, dbs)
            current += 1
            let reached = current
            try env.write { txn in try txn.put(versionBytes(reached), forKey: Schema.Meta.schemaVersion, in: dbs.meta) }
        }
        return dbs
    }

    /// Reads every namespace record and restores its index (or, without `loadIndexes`, gives
    /// it an empty one marked not loaded).
    static func loadNamespaces(_ env: Environment, _ dbs: Databases, options: MemoryStoreOptions) throws -> [String: NamespaceHandle] {
        try env.read { txn in
            var handles: [String: NamespaceHandle] = [:]
            for record in try txn.entries(in: dbs.namespaces) {
                let name = String(decoding: record.key, as: UTF8.self)
                let stored = try RecordCodec.decode(StoredNamespace.self, from: record.value, what: "namespace \"\(name)\"")
                guard stored.config.name == name else {
                    throw MemoryStoreError.corrupt("namespace record \"\(name)\" names \"\(stored.config.name)\"")
                }
                guard options.loadIndexes else {
                    let empty: HNSWIndex
                    do {
                        empty = try HNSWIndex(dimension: stored.config.dimension, metric: stored.config.metric,
                                              parameters: stored.config.parameters)
                    } catch {
                        throw MemoryStoreError.corrupt("namespace \"\(name)\": \(error)")
                    }
                    handles[name] = NamespaceHandle(id: stored.id, config: stored.config, index: empty,
                                                    lexical: LexicalTable(options: stored.config.lexical), indexLoaded: false)
                    continue
                }
                handles[name] = NamespaceHandle(id: stored.id, config: stored.config,
                                                index: try GraphLoader.load(txn, dbs, stored, vectorSource: vectorSource(
                                                    env, dbs, namespace: stored.id, config: stored.config, options: options)),
                                                lexical: try LexicalLoader.load(txn, dbs, stored))
            }
            return handles
        }
    }

    /// The namespace called `name`. - Throws: `namespaceNotFound`.
    func handle(_ name: String) throws -> NamespaceHandle {
        guard let handle = namespaceTable.withLock({ $0[name] }) else { throw MemoryStoreError.namespaceNotFound(name) }
        return handle
    }

    /// The namespace called `name`, for a search or a write: its index must be loaded.
    /// - Throws: `namespaceNotFound`; `invalidArgument` for a namespace opened without its
    ///   index (`MemoryStoreOptions.loadIndexes`) and not rebuilt since.
    func indexedHandle(_ name: String) throws -> NamespaceHandle {
        let ns = try handle(name)
        guard ns.indexLoaded else {
            throw MemoryStoreError.invalidArgument(
                "namespace \"\(name)\" was opened without its index: rebuild it first (engram index rebuild)")
        }
        return ns
    }

    /// Runs `body` as the only writer. See the locking notes above.
    func exclusive<R: Sendable>(_ body: () throws -> R) throws -> R {
        try writeLock.withLock { _ in try body() }
    }
}

/// A loaded namespace: its configuration, key prefix and indexes.
final class NamespaceHandle: Sendable {
    let id: UInt32
    let config: NamespaceConfig
    let index: HNSWIndex
    let lexical: LexicalTable
    /// `false` when the store was opened without indexes and this one is not rebuilt yet:
    /// `index` and `lexical` are then empty and must not be searched or written.
    let indexLoaded: Bool

    init(id: UInt32, config: NamespaceConfig, index: HNSWIndex, lexical: LexicalTable, indexLoaded: Bool = true) {
        self.id = id
        self.config = config
        self.index = index
        self.lexical = lexical
        self.indexLoaded = indexLoaded
    }
}
