public import MemoryStore
import Synchronization

/// Where the engine's writes go once it has decided them.
///
/// A single-machine daemon applies them to its store (``DirectStoreWriter``). A replicated one
/// publishes each to the namespace's log and returns once this node has applied it from
/// there, like every other node (the `Replication` module).
public protocol StoreWriter: Sendable {
    /// Applies `operation` and returns its outcome once this node's store reflects it.
    /// Called with the engine's write lock held, on a thread that may block.
    func perform(_ operation: StoreOperation) throws -> StoreOutcome

    /// Whether this node may decide writes of `namespace` now (background work, such as
    /// purging expired entries, skips the namespaces it may not write).
    func decidesWrites(of namespace: String) -> Bool
}

extension StoreWriter {
    public func decidesWrites(of namespace: String) -> Bool { true }
}

/// Writes straight into the store.
public struct DirectStoreWriter: StoreWriter {
    let store: MemoryStore

    public init(store: MemoryStore) { self.store = store }

    public func perform(_ operation: StoreOperation) throws -> StoreOutcome {
        try store.perform(operation)
    }
}

extension MemoryEngine {
    /// Sends `operation` through the engine's writer and brings the facts tables up to it
    /// (``noteApplied(_:_:)``). Precondition: `writeLock` held.
    func write(_ operation: StoreOperation) throws -> StoreOutcome {
        let outcome = try writer.perform(operation)
        try noteApplied(operation, outcome)
        return outcome
    }

    /// Changes entry `id` as `change` edits a copy of it, read now: the writer gets the
    /// after-state, applied only while the entry is still at the version read. Precondition:
    /// `writeLock` held (so the entry read is the latest this engine wrote).
    /// - Throws: `entryNotFound` (a store error) when the entry is absent; what `change` throws.
    func updateEntry(namespace: String, id: UInt64, kind: AuditKind, vector: [Float]? = nil,
                     rejecting: RejectionCause? = nil, reinstating: Bool = false, context: AuditContext,
                     _ change: (inout MemoryEntry) throws -> Void) throws -> WriteResult {
        guard let before = try store.get(namespace: namespace, id: id) else {
            throw MemoryStoreError.entryNotFound(namespace: namespace, id: id)
        }
        var after = before
        try change(&after)
        return try write(.update(EntryUpdate(namespace: namespace, id: id, kind: kind, vector: vector, rejecting: rejecting,
                                             reinstating: reinstating, context: context, expectedVersion: before.version,
                                             after: after))).writeResult()
    }

    /// Applies `operation`, entry `logSequence` of the replication log, to this node's store
    /// and in-memory tables (the facts filters search uses). The log's applier calls it, in
    /// log order, one at a time; the engine's write lock is not taken (the node that decided
    /// the write may hold it while it waits for this).
    ///
    /// An operation the store refuses (a version that moved, an entry already gone: the same
    /// refusal on every node) records its sequence and rethrows; any other failure (storage)
    /// records nothing, so the operation is applied again.
    public func applyLogged(_ operation: StoreOperation, logSequence: UInt64) throws -> StoreOutcome {
        let outcome: StoreOutcome
        do {
            outcome = try store.perform(operation, logSequence: logSequence)
        } catch let error as MemoryStoreError where error.isRefusal {
            try store.recordAppliedLogSequence(logSequence)
            throw error
        }
        try? noteApplied(operation, outcome)  // the write is applied; a failed read only leaves a fact to reload
        return outcome
    }

    /// Brings the facts tables up to an applied operation: the one place that does, for the
    /// engine's own writes (``write(_:)``) and for writes applied from a log (idempotent: on a
    /// replicated node the owner notes its own writes twice).
    /// - Throws: the store's error reading back the entries an import created.
    func noteApplied(_ operation: StoreOperation, _ outcome: StoreOutcome) throws {
        switch (operation, outcome) {
        case (.createNamespace(let config), _):
            // Not yet loaded rather than empty: the namespace may have existed (an idempotent
            // create), and a table loads the committed entries on its first use.
            factsTables.withLock { tables in if tables[config.name] == nil { tables[config.name] = FactsTable() } }
        case (.deleteNamespace(let name, _), _):
            _ = factsTables.withLock { $0.removeValue(forKey: name) }
            usage.discard(namespace: name)
        case (.delete(let deletion), _):
            noteDeleted(namespace: deletion.namespace, id: deletion.id)
        case (_, .written(let results)):
            results.forEach { noteWritten($0.entry) }
        case (.importEntries(let namespace, let items, _), .imported(let report)):
            for (item, outcome) in zip(items, report.outcomes) where outcome.status == .created {
                if let entry = try store.get(namespace: namespace, id: item.id) { noteWritten(entry) }
            }
        default:
            break
        }
    }
}

extension MemoryStoreError {
    /// Whether the store refused the operation for what it asked (the same on every node
    /// applying it from the same state), not for a failure of its own.
    public var isRefusal: Bool {
        switch self {
        case .invalidNamespaceName, .namespaceNotFound, .namespaceConflict, .entryNotFound, .invalidVector,
             .invalidArgument, .exhausted:
            true
        case .newerSchema, .notAMemoryStore, .locked, .corrupt, .cancelled:
            false
        }
    }
}

/// Where a request's writes note the log sequences they were given, so that the server can
/// return the last one (`Engram-Log-Sequence`) for the client's read-your-writes reads on other
/// nodes. Set for the request by the server, carried onto the thread that runs the engine.
public final class LogReceipt: Sendable {
    @TaskLocal public static var current: LogReceipt?

    private let last = Mutex<UInt64?>(nil)

    public init() {}

    /// The largest sequence noted, if any.
    public var sequence: UInt64? { last.withLock { $0 } }

    public func note(_ sequence: UInt64) {
        last.withLock { $0 = max($0 ?? 0, sequence) }
    }
}
