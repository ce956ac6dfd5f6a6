import LMDB

/// Applying ``StoreOperation`` values, and the replication log's position in the store.
extension MemoryStore {
    /// Applies `operation` (see ``StoreOperation``). Deterministic: the same operations in the
    /// same order from the same state give the same entries, ids, sequences and errors.
    ///
    /// - Throws: what the corresponding method throws; for an ``EntryUpdate`` whose entry is no
    ///   longer at `expectedVersion`, `invalidArgument` naming both versions (nothing written).
    @discardableResult
    public func perform(_ operation: StoreOperation) throws -> StoreOutcome {
        switch operation {
        case .createNamespace(let config):
            return .namespace(try createNamespace(config))
        case .deleteNamespace(let name, let context):
            return .namespaceDeleted(try deleteNamespace(name, context: context))
        case .insert(let namespace, let items, let context):
            return .written(try insertBatch(items.map { ($0.draft, $0.vector) }, namespace: namespace, context: context))
        case .restore(let namespace, let entry, let vector, let context):
            return .written([try restore(entry, vector: vector, namespace: namespace, context: context)])
        case .update(let update):
            let result = try self.update(namespace: update.namespace, id: update.id, kind: update.kind, vector: update.vector,
                                         rejecting: update.rejecting, reinstating: update.reinstating,
                                         context: update.context) { entry in
                guard entry.version == update.expectedVersion else {
                    throw MemoryStoreError.invalidArgument(
                        "entry \(update.id) is at version \(entry.version), not \(update.expectedVersion): it changed meanwhile")
                }
                let (useCount, lastUsedAt) = (entry.useCount, entry.lastUsedAt)
                entry = update.after
                entry.useCount = useCount
                entry.lastUsedAt = lastUsedAt
            }
            return .written([result])
        case .delete(let deletion):
            return .written([try delete(namespace: deletion.namespace, id: deletion.id, hard: deletion.hard, kind: deletion.kind,
                                        rejecting: deletion.rejecting, claimOwner: deletion.claimOwner,
                                        context: deletion.context)])
        case .recordUse(let namespace, let uses):
            var table: [UInt64: EntryUse] = [:]
            for use in uses {
                let merged = table[use.id].map {
                    EntryUse(count: MemoryStore.saturatingCount($0.count, plus: use.count), lastUsedAt: max($0.lastUsedAt, use.lastUsedAt))
                }
                table[use.id] = merged ?? EntryUse(count: use.count, lastUsedAt: use.lastUsedAt)
            }
            return .count(try recordUse(namespace: namespace, uses: table))
        case .recordRefusal(let namespace, let owner, let text, let context):
            return .sequence(try recordRefusal(namespace: namespace, owner: owner, text: text, context: context))
        case .importEntries(let namespace, let items, let context):
            return .imported(try importEntries(items.map(\.item), namespace: namespace, context: context))
        case .importOrphanedClaims(let namespace, let claims):
            return .count(try importOrphanedClaims(claims.map { ($0.claim, $0.vector) }, namespace: namespace))
        }
    }

    /// Applies `operation` as entry `logSequence` of a replication log: every commit it makes
    /// records that sequence in the same transaction (``appliedLogSequence()``), so a node that
    /// restarts resumes after the last operation that changed its store. An operation that
    /// fails changes nothing; record its sequence with ``recordAppliedLogSequence(_:)``.
    /// - Precondition: `logSequence` is past ``appliedLogSequence()``; one applier at a time.
    @discardableResult
    public func perform(_ operation: StoreOperation, logSequence: UInt64) throws -> StoreOutcome {
        try LogPosition.$applying.withValue(logSequence) { try perform(operation) }
    }

    /// The last replication-log sequence applied to this store (0: none).
    /// - Throws: `corrupt` for a malformed record.
    public func appliedLogSequence() throws -> UInt64 {
        try env.read { txn in try LogPosition.read(txn, dbs.meta) }
    }

    /// Which log the store applies (the replication stream's name and creation time), or `nil`
    /// before a replicated node first joined with it.
    public func logIdentity() throws -> String? {
        try env.read { txn in
            try txn.get(Schema.Meta.logIdentity, in: dbs.meta).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Records which log the store applies (once, when a node joins with an empty store).
    public func recordLogIdentity(_ identity: String) throws {
        guard !identity.isEmpty, identity.utf8.count <= 512 else {
            throw MemoryStoreError.invalidArgument("a log identity is 1-512 bytes")
        }
        try exclusive {
            try env.write { txn in try txn.put(Array(identity.utf8), forKey: Schema.Meta.logIdentity, in: dbs.meta) }
        }
    }

    /// Records that the log is applied through `logSequence` (after an operation that failed,
    /// so wrote nothing). Sequences only grow: a smaller one is ignored.
    public func recordAppliedLogSequence(_ logSequence: UInt64) throws {
        try exclusive {
            try env.write { txn in
                if try LogPosition.read(txn, dbs.meta) < logSequence { try LogPosition.write(logSequence, txn, dbs) }
            }
        }
    }
}

/// The replication log's position, stored in `meta`.
enum LogPosition {
    /// The log sequence the current task is applying; ``MemoryStore/commit(_:from:to:)``
    /// writes it with the write. A task-local so that other writers (maintenance, a
    /// consolidation started elsewhere) never record a position they did not apply.
    @TaskLocal static var applying: UInt64?

    /// The position in `meta` (0 when none), read by a store or from a copy of one.
    static func read(_ txn: Transaction, _ meta: Database) throws -> UInt64 {
        guard let bytes = try txn.get(Schema.Meta.appliedLogSequence, in: meta) else { return 0 }
        guard bytes.count == 8, let sequence = UInt64(bigEndianBytes: bytes) else {
            throw MemoryStoreError.corrupt("meta: applied_log_sequence has \(bytes.count) bytes")
        }
        return sequence
    }

    static func write(_ sequence: UInt64, _ txn: WriteTransaction, _ dbs: Databases) throws {
        try txn.put(UInt64Key(sequence), forKey: Schema.Meta.appliedLogSequence, in: dbs.meta)
    }
}

extension MemoryStore {
    /// The replication-log sequence applied to the store (or backup) in directory `path`,
    /// read without opening it as a store (no index is loaded): for a snapshot just copied.
    /// - Throws: `LMDBError` when the directory holds no LMDB environment; `corrupt`.
    public static func appliedLogSequence(ofStoreAt path: String) throws -> UInt64 {
        let env = try Environment(path: path)
        let meta = try env.openDatabase(named: "meta", create: false)
        return try env.read { txn in try LogPosition.read(txn, meta) }
    }
}
